package gateway

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"math/big"
	"strings"
	"time"

	"github.com/batchgate/batchgate"
)

// HashKey returns the stored form of a key: SHA-256, hex, as LiteLLM's "token".
func HashKey(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

const keyAlphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

// NewSecret returns a new key: "sk-" and 32 random alphanumerics (190 bits).
func NewSecret() string {
	var sb strings.Builder
	sb.WriteString("sk-")
	max := big.NewInt(int64(len(keyAlphabet)))
	for range 32 {
		n, _ := rand.Int(rand.Reader, max)
		sb.WriteByte(keyAlphabet[n.Int64()])
	}
	return sb.String()
}

// NewKeyID returns the ID of a new key: "key-" and 24 random hex
// characters. Keys own their files and batches by it, so it is never taken
// from the secret: the same secret issued again gets another ID.
func NewKeyID() string { return NewID("key-") }

// NewKey returns a new key for secret, created at now: a new ID, the
// secret's hash and its masked form.
func NewKey(secret string, now time.Time) *batchgate.Key {
	return &batchgate.Key{ID: NewKeyID(), Token: HashKey(secret), KeyName: MaskKey(secret), CreatedAt: now, UpdatedAt: now}
}

// MaskKey returns the form of a key shown in listings.
func MaskKey(secret string) string {
	if len(secret) < 8 {
		return "sk-..."
	}
	return "sk-..." + secret[len(secret)-4:]
}

// Authenticate resolves a bearer key to a caller. The master key sees
// everything; a virtual key sees what it created. Unknown, blocked,
// expired and missing keys are EUNAUTHORIZED.
func (g *Gateway) Authenticate(ctx context.Context, masterKey, secret string) (Caller, error) {
	if secret == "" {
		return Caller{}, batchgate.Errorf(batchgate.EUNAUTHORIZED, "Missing API key: send Authorization: Bearer sk-...")
	}
	if masterKey != "" && subtle.ConstantTimeCompare([]byte(secret), []byte(masterKey)) == 1 {
		return Caller{Scope: batchgate.Scope{All: true}}, nil
	}
	k, err := g.Store.FindKeyByToken(ctx, HashKey(secret))
	if batchgate.IsNotFound(err) {
		return Caller{}, batchgate.Errorf(batchgate.EUNAUTHORIZED, "Invalid API key.")
	}
	if err != nil {
		return Caller{}, err
	}
	if k.Blocked { // LiteLLM's message
		return Caller{}, batchgate.Errorf(batchgate.EUNAUTHORIZED, "Authentication Error, Key is blocked. Update via `/key/unblock` if you're an admin.")
	}
	if k.Expired(g.now()) {
		return Caller{}, batchgate.Errorf(batchgate.EUNAUTHORIZED, "API key expired at %s.", k.ExpiresAt.UTC().Format(time.RFC3339))
	}
	c := Caller{
		Key:   k,
		Scope: batchgate.Scope{KeyID: k.ID},
		Owner: batchgate.Owner{KeyID: k.ID, UserID: k.UserID, TeamID: k.TeamID},
	}
	if k.UserID != "" {
		if c.User, err = g.Store.FindUserByID(ctx, k.UserID); err != nil && !batchgate.IsNotFound(err) {
			return Caller{}, err
		}
	}
	if k.TeamID != "" {
		if c.Team, err = g.Store.FindTeamByID(ctx, k.TeamID); err != nil && !batchgate.IsNotFound(err) {
			return Caller{}, err
		}
		if c.Team != nil && c.Team.SharesObjects() {
			c.Scope.TeamID = k.TeamID
		}
	}
	return c, nil
}
