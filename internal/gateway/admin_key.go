package gateway

import (
	"context"
	"fmt"
	"strings"

	"github.com/batchgate/batchgate"
)

// KeyChanges holds the fields of /key/generate and /key/update, with
// LiteLLM's meaning; a nil field stays as it is.
type KeyChanges struct {
	Models   *[]string
	UserID   *string
	TeamID   *string
	KeyAlias *string
	// Duration sets the expiry from now ("30d"); "" means never.
	Duration *string
	Metadata *map[string]any
	Blocked  *bool
	Budget   BudgetChanges
	// LiteLLM's limits (batchgate.KeyLimits); nil leaves them as they are.
	// A key_type other than "default" sets AllowedRoutes to its route
	// group, as LiteLLM does.
	KeyType             *string
	TPMLimit            *int64
	RPMLimit            *int64
	MaxParallelRequests *int64
	SoftBudget          *float64
	AllowedRoutes       *[]string
}

// apply copies the changes onto k, checking them.
func (g *Gateway) applyKey(ctx context.Context, ch KeyChanges, k *batchgate.Key) error {
	now := g.now()
	if ch.Models != nil {
		if err := g.checkModels(*ch.Models); err != nil {
			return err
		}
		k.Models = *ch.Models
	}
	if ch.UserID != nil {
		k.UserID = *ch.UserID
	}
	if ch.TeamID != nil {
		// A key is never attached to a team that does not exist: its budget
		// and model limits would silently not apply (LiteLLM refuses it too
		// once key generation settings are on: "Unable to find team object").
		if *ch.TeamID != "" && *ch.TeamID != k.TeamID {
			if _, err := g.Store.FindTeamByID(ctx, *ch.TeamID); batchgate.IsNotFound(err) {
				return &batchgate.Error{Code: batchgate.EINVALID, Param: "team_id", Message: fmt.Sprintf("Team %q does not exist; create it with /team/new first.", *ch.TeamID)}
			} else if err != nil {
				return err
			}
		}
		k.TeamID = *ch.TeamID
	}
	if ch.KeyAlias != nil {
		k.KeyAlias = *ch.KeyAlias
	}
	if ch.Metadata != nil {
		k.Metadata = *ch.Metadata
	}
	if ch.Blocked != nil {
		k.Blocked = *ch.Blocked
	}
	if err := ch.Budget.apply(&k.Budget, now); err != nil {
		return err
	}
	if err := ch.applyLimits(&k.KeyLimits); err != nil {
		return err
	}
	if ch.Duration != nil {
		k.Duration = *ch.Duration
		if *ch.Duration == "" {
			k.ExpiresAt = nil
		} else {
			d, err := batchgate.ParseDuration(*ch.Duration)
			if err != nil {
				return &batchgate.Error{Code: batchgate.EINVALID, Param: "duration", Message: "duration: " + err.Error()}
			}
			if d <= 0 {
				return &batchgate.Error{Code: batchgate.EINVALID, Param: "duration", Message: fmt.Sprintf("duration %q must be positive, such as \"30d\" (\"\" for a key that never expires)", *ch.Duration)}
			}
			k.ExpiresAt = ptr(now.Add(d))
		}
	}
	return nil
}

// applyLimits sets LiteLLM's limits, checking them.
func (ch KeyChanges) applyLimits(l *batchgate.KeyLimits) error {
	for _, n := range []struct {
		param string
		v     *int64
	}{{"tpm_limit", ch.TPMLimit}, {"rpm_limit", ch.RPMLimit}, {"max_parallel_requests", ch.MaxParallelRequests}} {
		if n.v != nil && *n.v < 0 {
			return &batchgate.Error{Code: batchgate.EINVALID, Param: n.param, Message: n.param + " must not be negative"}
		}
	}
	if ch.SoftBudget != nil && *ch.SoftBudget < 0 {
		return &batchgate.Error{Code: batchgate.EINVALID, Param: "soft_budget", Message: "soft_budget must not be negative"}
	}
	if ch.AllowedRoutes != nil {
		for _, r := range *ch.AllowedRoutes {
			if strings.TrimSpace(r) == "" {
				return &batchgate.Error{Code: batchgate.EINVALID, Param: "allowed_routes", Message: "allowed_routes must not hold an empty route"}
			}
		}
		l.AllowedRoutes = *ch.AllowedRoutes
	}
	if ch.KeyType != nil {
		routes, err := checkKeyType(*ch.KeyType)
		if err != nil {
			return err
		}
		l.KeyType = *ch.KeyType
		if routes != nil {
			l.AllowedRoutes = routes
		}
	}
	if ch.TPMLimit != nil {
		l.TPMLimit = ch.TPMLimit
	}
	if ch.RPMLimit != nil {
		l.RPMLimit = ch.RPMLimit
	}
	if ch.MaxParallelRequests != nil {
		l.MaxParallelRequests = ch.MaxParallelRequests
	}
	if ch.SoftBudget != nil {
		l.SoftBudget = ch.SoftBudget
	}
	return nil
}

// GenerateKey creates a key with the given changes and returns it with its
// secret. secret is a caller-chosen key ("sk-...", at least 12
// characters), or "" for a new random one.
func (g *Gateway) GenerateKey(ctx context.Context, secret string, ch KeyChanges) (*batchgate.Key, string, error) {
	if secret == "" {
		secret = NewSecret()
	} else if !strings.HasPrefix(secret, "sk-") || len(secret) < 12 {
		return nil, "", &batchgate.Error{Code: batchgate.EINVALID, Param: "key", Message: "a chosen key must start with sk- and be at least 12 characters"}
	}
	// A custom secret may be issued again once its key is deleted: the
	// new key gets a new ID, so it owns none of the old key's objects.
	k := NewKey(secret, g.now())
	if err := g.applyKey(ctx, ch, k); err != nil {
		return nil, "", err
	}
	if err := g.Store.CreateKey(ctx, k); err != nil {
		return nil, "", err
	}
	return k, secret, nil
}

// TokenOf returns the token (hash) of a key given as the secret ("sk-...")
// or as its token already.
func TokenOf(key string) string {
	if strings.HasPrefix(key, "sk-") {
		return HashKey(key)
	}
	return key
}

// ErrKeyNotFound is the error for a key that does not exist (or that the
// caller may not see).
func ErrKeyNotFound() error {
	return &batchgate.Error{Code: batchgate.ENOTFOUND, Param: "key", Message: "Key not found."}
}

// FindKey returns the key given as the secret or as its token; ENOTFOUND
// (ErrKeyNotFound) if there is none.
func (g *Gateway) FindKey(ctx context.Context, key string) (*batchgate.Key, error) {
	k, err := g.Store.FindKeyByToken(ctx, TokenOf(key))
	if batchgate.IsNotFound(err) {
		return nil, ErrKeyNotFound()
	}
	return k, err
}

// FindKeys returns the keys of a user and a team, newest first; "" does
// not filter.
func (g *Gateway) FindKeys(ctx context.Context, userID, teamID string) ([]*batchgate.Key, error) {
	return g.Store.FindKeys(ctx, userID, teamID)
}

// KeyIDOf returns the ID of the key given as a secret or token, or the
// value itself when no such key exists (an ID, or a deleted key's token);
// "" for "".
func (g *Gateway) KeyIDOf(ctx context.Context, key string) (string, error) {
	if key == "" {
		return "", nil
	}
	k, err := g.Store.FindKeyByToken(ctx, TokenOf(key))
	switch {
	case err == nil:
		return k.ID, nil
	case batchgate.IsNotFound(err):
		return TokenOf(key), nil
	}
	return "", err
}

// refindKey reads k again, as it is now. A key deleted meanwhile is
// ENOTFOUND, even when its secret has been issued again: that is another
// key, with another ID.
func (g *Gateway) refindKey(ctx context.Context, k *batchgate.Key) (*batchgate.Key, error) {
	fresh, err := g.Store.FindKeyByToken(ctx, k.Token)
	if err == nil && fresh.ID != k.ID {
		return nil, ErrKeyNotFound()
	}
	return fresh, err
}

// changeKey reads the key given as secret or token, changes it with f and
// writes it, under the key's lock so that a concurrent update or block is
// not overwritten. It returns the key as stored afterwards.
func (g *Gateway) changeKey(ctx context.Context, key string, f func(ctx context.Context, k *batchgate.Key) error) (*batchgate.Key, error) {
	k, err := g.FindKey(ctx, key)
	if err != nil {
		return nil, err
	}
	err = g.Store.WithLock(ctx, "key:"+k.Token, func(ctx context.Context) error {
		if k, err = g.refindKey(ctx, k); err != nil {
			return err
		}
		if err := f(ctx, k); err != nil {
			return err
		}
		k.UpdatedAt = g.now()
		return g.Store.UpdateKey(ctx, k)
	})
	if batchgate.IsNotFound(err) { // deleted meanwhile
		return nil, ErrKeyNotFound()
	}
	if err != nil {
		return nil, err
	}
	if stored, err := g.refindKey(ctx, k); err == nil {
		k = stored // with the spend and budget period as they are now
	}
	return k, nil
}

// UpdateKey changes the key given as secret or token (LiteLLM's /key/update).
func (g *Gateway) UpdateKey(ctx context.Context, key string, ch KeyChanges) (*batchgate.Key, error) {
	return g.changeKey(ctx, key, func(ctx context.Context, k *batchgate.Key) error {
		return g.applyKey(ctx, ch, k)
	})
}

// BlockKey blocks (or unblocks) the key given as secret or token
// (LiteLLM's /key/block and /key/unblock). A blocked key is refused on
// every route (Authenticate).
func (g *Gateway) BlockKey(ctx context.Context, key string, blocked bool) (*batchgate.Key, error) {
	return g.changeKey(ctx, key, func(_ context.Context, k *batchgate.Key) error {
		k.Blocked = blocked
		return nil
	})
}

// DeleteKeys deletes the keys given as secrets or tokens and those with the
// given aliases. Nothing is deleted if one of them is not found.
func (g *Gateway) DeleteKeys(ctx context.Context, keys, aliases []string) error {
	var tokens []string
	for _, key := range keys {
		k, err := g.FindKey(ctx, key)
		if err != nil {
			return err
		}
		tokens = append(tokens, k.Token)
	}
	if len(aliases) > 0 {
		all, err := g.Store.FindKeys(ctx, "", "")
		if err != nil {
			return err
		}
		for _, alias := range aliases {
			found := false
			for _, k := range all {
				if k.KeyAlias == alias {
					tokens, found = append(tokens, k.Token), true
				}
			}
			if !found {
				return &batchgate.Error{Code: batchgate.ENOTFOUND, Param: "key_aliases", Message: fmt.Sprintf("No key has alias %q.", alias)}
			}
		}
	}
	for _, t := range tokens {
		if err := g.Store.DeleteKey(ctx, t); err != nil {
			return err
		}
	}
	return nil
}
