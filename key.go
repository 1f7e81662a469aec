package batchgate

import (
	"context"
	"strings"
	"time"
)

// Key is a virtual API key. The secret itself is never stored: Token is its hash.
// ID names the key for ownership: it is random, set once at creation and
// never reused, while Token repeats whenever the same secret is issued again.
type Key struct {
	ID       string // "key-" and random hex; what Owner.KeyID and Scope.KeyID hold
	Token    string // SHA-256 of the key, hex
	KeyName  string // masked form shown in listings, e.g. "sk-...abcd"
	KeyAlias string
	Models   []string // model names the key may use; empty means all
	UserID   string
	TeamID   string
	Budget
	Metadata  map[string]any
	ExpiresAt *time.Time
	// Blocked keys are refused on every route until unblocked (LiteLLM's
	// /key/block and /key/unblock).
	Blocked bool
	KeyLimits
	CreatedAt time.Time
	UpdatedAt time.Time
}

// KeyLimits are LiteLLM's key settings beyond budgets. The gateway
// enforces MaxParallelRequests (batches in progress at once), RPMLimit
// (file uploads and batch creations a minute), AllowedRoutes and, through
// ExpiresAt, Duration; TPMLimit and SoftBudget are kept and shown.
type KeyLimits struct {
	KeyType             string   // LiteLLM's key_type; "" is its "default"
	Duration            string   // as sent, e.g. "30d" ("": never expires)
	TPMLimit            *int64   // nil: no limit
	RPMLimit            *int64   // nil: no limit
	MaxParallelRequests *int64   // nil: no limit
	SoftBudget          *float64 // nil: none
	AllowedRoutes       []string // LiteLLM's routes and route groups; empty: every route
}

// Expired reports whether the key has expired at now.
func (k *Key) Expired(now time.Time) bool { return k.ExpiresAt != nil && !now.Before(*k.ExpiresAt) }

// LiteLLM's special model names (litellm/proxy/_types.py SpecialModelNames).
const (
	AllProxyModels = "all-proxy-models" // every model the proxy serves
	AllTeamModels  = "all-team-models"  // a key's: the models of its team
)

// ModelAllowed reports whether a model list (of a key, user or team)
// allows model name m, as LiteLLM's _check_model_access_helper does
// (litellm/proxy/auth/auth_checks.py): an empty list, "*" and
// "all-proxy-models" allow every model; a name with "*" is a pattern ("*"
// matches any run of characters) matched against m and against
// "bedrock/"+m, every batchgate model being a Bedrock one, so that
// "bedrock/*" allows them all as it does LiteLLM's Bedrock models. Other
// names must equal m; names batchgate does not serve (LiteLLM's other
// models) are kept and match nothing here.
func ModelAllowed(models []string, m string) bool {
	if len(models) == 0 {
		return true
	}
	for _, x := range models {
		switch {
		case x == m || x == "*" || x == AllProxyModels:
			return true
		case strings.Contains(x, "*") && (matchPattern(x, m) || (!strings.HasPrefix(m, "bedrock/") && matchPattern(x, "bedrock/"+m))):
			return true
		}
	}
	return false
}

// matchPattern reports whether s matches pattern, where "*" matches any
// run of characters and everything else itself.
func matchPattern(pattern, s string) bool {
	parts := strings.Split(pattern, "*")
	if !strings.HasPrefix(s, parts[0]) {
		return false
	}
	s = s[len(parts[0]):]
	last := parts[len(parts)-1]
	for _, p := range parts[1 : len(parts)-1] {
		i := strings.Index(s, p)
		if i < 0 {
			return false
		}
		s = s[i+len(p):]
	}
	return len(parts) > 1 && strings.HasSuffix(s, last)
}

// KeyStore keeps virtual keys; it is part of Store.
type KeyStore interface {
	// CreateKey stores k. It returns ECONFLICT if a key with k.ID or
	// k.Token exists, and EINVALID if k.ID is empty (the empty ID is the
	// master key's).
	CreateKey(ctx context.Context, k *Key) error
	// FindKeyByToken returns the key whose Token is token. It returns
	// ENOTFOUND if no key has that token.
	FindKeyByToken(ctx context.Context, token string) (*Key, error)
	// FindKeys returns the keys of user userID and team teamID, newest
	// first; an empty userID or teamID does not filter. None match: an
	// empty result, not an error.
	FindKeys(ctx context.Context, userID, teamID string) ([]*Key, error)
	// UpdateKey replaces the key with token k.Token and ID k.ID. It returns
	// ENOTFOUND if no key has both (a copy read before its key was deleted
	// and its secret issued again does not write over the new key). ID,
	// Token, CreatedAt and Spend never change (only RecordSpend changes
	// Spend); BudgetResetAt is written only with a new BudgetDuration.
	UpdateKey(ctx context.Context, k *Key) error
	// DeleteKey deletes the key with the given token. It returns ENOTFOUND
	// if no key has that token. The key's files, batches and spend logs
	// stay.
	DeleteKey(ctx context.Context, token string) error
}
