package gateway

import (
	"context"
	"crypto/subtle"
	"strings"

	"github.com/batchgate/batchgate"
)

// SpendLogs returns the spend logs f selects that the caller may see,
// newest first.
func (g *Gateway) SpendLogs(ctx context.Context, c Caller, f batchgate.SpendFilter) ([]*batchgate.SpendLog, error) {
	f.Scope = c.Scope
	return g.Store.QuerySpendLogs(ctx, f)
}

// SpendKeyID resolves LiteLLM's api_key filter of /spend/logs to the key ID
// its spend logs carry. key may be a key's secret, its token (the SHA-256
// LiteLLM stores) or its ID; the master key (secret or token) gives "", the
// ID of the master key's logs. A key that no longer exists is taken as an
// ID, which matches no log if it is not one.
func (g *Gateway) SpendKeyID(ctx context.Context, masterKey, key string) (string, error) {
	token := key
	if strings.HasPrefix(key, "sk-") {
		token = HashKey(key)
	}
	if masterKey != "" && subtle.ConstantTimeCompare([]byte(token), []byte(HashKey(masterKey))) == 1 {
		return "", nil
	}
	k, err := g.Store.FindKeyByToken(ctx, token)
	switch {
	case err == nil:
		return k.ID, nil
	case batchgate.IsNotFound(err):
		return token, nil
	}
	return "", err
}
