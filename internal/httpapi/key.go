package httpapi

import (
	"net/http"
	"strconv"
	"time"

	"github.com/batchgate/batchgate"
	"github.com/batchgate/batchgate/internal/gateway"
)

// keyRequest is the body of /key/generate and /key/update, with LiteLLM's names.
type keyRequest struct {
	Key      *string         `json:"key"` // update: the key to change; generate: a caller-chosen key
	Models   *[]string       `json:"models"`
	UserID   *string         `json:"user_id"`
	TeamID   *string         `json:"team_id"`
	KeyAlias *string         `json:"key_alias"`
	Duration *string         `json:"duration"`
	Metadata *map[string]any `json:"metadata"`
	Blocked  *bool           `json:"blocked"` // as LiteLLM, a key may be created or updated blocked
	budgetRequest
	// LiteLLM's limits: null leaves them as they are (as LiteLLM's /key/update).
	KeyType             *string   `json:"key_type"`
	TPMLimit            *int64    `json:"tpm_limit"`
	RPMLimit            *int64    `json:"rpm_limit"`
	MaxParallelRequests *int64    `json:"max_parallel_requests"`
	SoftBudget          *float64  `json:"soft_budget"`
	AllowedRoutes       *[]string `json:"allowed_routes"`
}

// keyInfo is LiteLLM's key object: /key/generate's GenerateKeyResponse
// and the key rows of /key/info, /key/list and /key/update
// (litellm/proxy/_types.py GenerateKeyResponse, LiteLLM_VerificationToken).
type keyInfo struct {
	// Key is the secret in /key/generate's answer, and the key as sent in
	// /key/update's; other answers leave it out.
	Key     string `json:"key,omitempty"`
	KeyName string `json:"key_name"`
	// Token is the secret's hash, and TokenID repeats it, as LiteLLM's
	// /key/generate does; /key/info's info leaves both out, as LiteLLM.
	Token   string `json:"token,omitempty"`
	TokenID string `json:"token_id,omitempty"`
	// KeyID names the key for good (files, batches and spend logs show it
	// as their owner); the token repeats if the same secret is issued
	// again. batchgate's own field.
	KeyID    string         `json:"key_id"`
	KeyAlias *string        `json:"key_alias"`
	Models   []string       `json:"models"`
	UserID   *string        `json:"user_id"`
	TeamID   *string        `json:"team_id"`
	Metadata map[string]any `json:"metadata"`
	budgetInfo
	Duration            *string    `json:"duration"`
	KeyType             string     `json:"key_type"`
	TPMLimit            *int64     `json:"tpm_limit"`
	RPMLimit            *int64     `json:"rpm_limit"`
	MaxParallelRequests *int64     `json:"max_parallel_requests"`
	SoftBudget          *float64   `json:"soft_budget"`
	AllowedRoutes       []string   `json:"allowed_routes"`
	Expires             *time.Time `json:"expires"`
	Blocked             bool       `json:"blocked"`
	// CreatedBy and UpdatedBy are LiteLLM's: only the master key manages
	// keys, whose user LiteLLM calls "default_user_id".
	CreatedBy string    `json:"created_by"`
	UpdatedBy string    `json:"updated_by"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// masterUserID is the user LiteLLM gives the master key (litellm_proxy_admin_name).
const masterUserID = "default_user_id"

func newKeyInfo(k *batchgate.Key) keyInfo {
	ki := keyInfo{
		KeyName: k.KeyName, Token: k.Token, KeyID: k.ID, KeyAlias: optional(k.KeyAlias), Models: k.Models,
		UserID: optional(k.UserID), TeamID: optional(k.TeamID), budgetInfo: newBudgetInfo(k.Budget),
		Duration: optional(k.Duration), KeyType: k.KeyType, TPMLimit: k.TPMLimit, RPMLimit: k.RPMLimit,
		MaxParallelRequests: k.MaxParallelRequests, SoftBudget: k.SoftBudget, AllowedRoutes: nonNil(k.AllowedRoutes),
		Metadata: k.Metadata, Expires: k.ExpiresAt, Blocked: k.Blocked, CreatedBy: masterUserID, UpdatedBy: masterUserID,
		CreatedAt: k.CreatedAt, UpdatedAt: k.UpdatedAt,
	}
	if ki.KeyType == "" {
		ki.KeyType = "default"
	}
	if ki.Models == nil {
		ki.Models = []string{}
	}
	if ki.Metadata == nil {
		ki.Metadata = map[string]any{}
	}
	return ki
}

// changes returns the request's fields for the gateway.
func (req keyRequest) changes() gateway.KeyChanges {
	return gateway.KeyChanges{
		Models: req.Models, UserID: req.UserID, TeamID: req.TeamID, KeyAlias: req.KeyAlias, Duration: req.Duration,
		Metadata: req.Metadata, Blocked: req.Blocked, Budget: req.budgetRequest.changes(),
		KeyType: req.KeyType, TPMLimit: req.TPMLimit, RPMLimit: req.RPMLimit, MaxParallelRequests: req.MaxParallelRequests,
		SoftBudget: req.SoftBudget, AllowedRoutes: req.AllowedRoutes,
	}
}

func (s *Server) handleKeyGenerate() http.Handler {
	return handle(func(w http.ResponseWriter, r *http.Request) error {
		var req keyRequest
		if err := decode(r, &req); err != nil {
			return err
		}
		var secret string
		if req.Key != nil {
			secret = *req.Key
		}
		k, secret, err := s.Gateway.GenerateKey(r.Context(), secret, req.changes())
		if err != nil {
			return err
		}
		logger(r.Context()).Info("key generated", "token", k.Token[:12], "key_alias", k.KeyAlias, "models", k.Models)
		ki := newKeyInfo(k)
		ki.Key, ki.TokenID = secret, k.Token
		return encode(w, http.StatusOK, ki)
	})
}

// handleKeyInfo answers GET /key/info?key=... as LiteLLM's info_key_fn:
// {"key": the key asked about, as sent, "info": its row without the token}.
// Without ?key= a key asks about itself ("key" is then its token); a
// virtual key may ask about itself only.
func (s *Server) handleKeyInfo() http.Handler {
	return handle(func(w http.ResponseWriter, r *http.Request) error {
		c := caller(r)
		key := r.URL.Query().Get("key")
		var k *batchgate.Key
		switch {
		case key == "" && c.Key != nil:
			k, key = c.Key, c.Key.Token
		case key == "":
			return encode(w, http.StatusOK, map[string]any{"key": gateway.HashKey(s.MasterKey), "info": s.masterKeyInfo()})
		default:
			var err error
			if k, err = s.Gateway.FindKey(r.Context(), key); err != nil {
				return err
			}
			if !c.Admin() && k.ID != c.Key.ID {
				// Another tenant's key answers exactly as a missing one: a
				// virtual key learns nothing about keys it does not hold.
				return gateway.ErrKeyNotFound()
			}
		}
		info := newKeyInfo(k)
		info.Token = "" // as LiteLLM: the key is "key", outside info
		return encode(w, http.StatusOK, map[string]any{"key": key, "info": info})
	})
}

// masterKeyInfo is the master key's /key/info: it has no stored row, so
// its info says what it is: every model, every route, no budget, LiteLLM's
// proxy admin user.
func (s *Server) masterKeyInfo() keyInfo {
	return keyInfo{
		KeyName: gateway.MaskKey(s.MasterKey), Models: []string{}, UserID: ptr(masterUserID), Metadata: map[string]any{},
		KeyType: "default", AllowedRoutes: []string{}, CreatedBy: masterUserID, UpdatedBy: masterUserID,
	}
}

// handleKeyList answers GET /key/list as LiteLLM does: tokens, or full
// objects with return_full_object=true, paged by page and size.
func (s *Server) handleKeyList() http.Handler {
	return handle(func(w http.ResponseWriter, r *http.Request) error {
		q := r.URL.Query()
		keys, err := s.Gateway.FindKeys(r.Context(), q.Get("user_id"), q.Get("team_id"))
		if err != nil {
			return err
		}
		if alias := q.Get("key_alias"); alias != "" {
			filtered := keys[:0]
			for _, k := range keys {
				if k.KeyAlias == alias {
					filtered = append(filtered, k)
				}
			}
			keys = filtered
		}
		page, size := atoi(q.Get("page"), 1), atoi(q.Get("size"), 10)
		if page < 1 {
			return &batchgate.Error{Code: batchgate.EINVALID, Param: "page", Message: "page must be an integer ≥ 1"}
		}
		if size < 1 || size > 100 {
			return &batchgate.Error{Code: batchgate.EINVALID, Param: "size", Message: "size must be an integer between 1 and 100"}
		}
		total := len(keys)
		pages := (total + size - 1) / size
		// A page past the end is empty. Below it, (page-1)*size < total:
		// the product cannot overflow, whatever page the client sent.
		lo, hi := total, total
		if page <= pages {
			lo = (page - 1) * size
			hi = min(lo+size, total)
		}
		var items []any
		for _, k := range keys[lo:hi] {
			if q.Get("return_full_object") == "true" {
				items = append(items, newKeyInfo(k))
			} else {
				items = append(items, k.Token)
			}
		}
		if items == nil {
			items = []any{}
		}
		return encode(w, http.StatusOK, map[string]any{
			"keys": items, "total_count": total, "current_page": page, "total_pages": pages,
		})
	})
}

func (s *Server) handleKeyUpdate() http.Handler {
	return handle(func(w http.ResponseWriter, r *http.Request) error {
		var req keyRequest
		if err := decode(r, &req); err != nil {
			return err
		}
		if req.Key == nil || *req.Key == "" {
			return &batchgate.Error{Code: batchgate.EINVALID, Param: "key", Message: "key is required"}
		}
		k, err := s.Gateway.UpdateKey(r.Context(), *req.Key, req.changes())
		if err != nil {
			return err
		}
		ki := newKeyInfo(k)
		ki.Key = *req.Key // as LiteLLM's update_key_fn: {"key": the key as sent, ...its row}
		return encode(w, http.StatusOK, ki)
	})
}

func (s *Server) handleKeyDelete() http.Handler {
	return handle(func(w http.ResponseWriter, r *http.Request) error {
		var req struct {
			Keys       []string `json:"keys"`
			KeyAliases []string `json:"key_aliases"`
		}
		if err := decode(r, &req); err != nil {
			return err
		}
		if len(req.Keys)+len(req.KeyAliases) == 0 {
			return &batchgate.Error{Code: batchgate.EINVALID, Param: "keys", Message: "keys or key_aliases is required"}
		}
		if err := s.Gateway.DeleteKeys(r.Context(), req.Keys, req.KeyAliases); err != nil {
			return err
		}
		return encode(w, http.StatusOK, map[string]any{"deleted_keys": append(req.Keys, req.KeyAliases...)})
	})
}

func atoi(s string, def int) int {
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return -1
	}
	return n
}

func ptr[T any](v T) *T { return &v }
