package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
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
}

// keyInfo is LiteLLM's key object.
type keyInfo struct {
	Key     string `json:"key,omitempty"` // the secret, only in /key/generate's answer
	KeyName string `json:"key_name"`
	Token   string `json:"token"`
	// KeyID names the key for good (files, batches and spend logs show it
	// as their owner); the token repeats if the same secret is issued again.
	KeyID    string         `json:"key_id"`
	KeyAlias *string        `json:"key_alias"`
	Models   []string       `json:"models"`
	UserID   *string        `json:"user_id"`
	TeamID   *string        `json:"team_id"`
	Metadata map[string]any `json:"metadata"`
	budgetInfo
	Expires   *time.Time `json:"expires"`
	Blocked   bool       `json:"blocked"`
	CreatedAt time.Time  `json:"created_at"`
	UpdatedAt time.Time  `json:"updated_at"`
}

func newKeyInfo(k *batchgate.Key) keyInfo {
	ki := keyInfo{
		KeyName: k.KeyName, Token: k.Token, KeyID: k.ID, KeyAlias: optional(k.KeyAlias), Models: k.Models,
		UserID: optional(k.UserID), TeamID: optional(k.TeamID), budgetInfo: newBudgetInfo(k.Budget),
		Metadata: k.Metadata, Expires: k.ExpiresAt, Blocked: k.Blocked, CreatedAt: k.CreatedAt, UpdatedAt: k.UpdatedAt,
	}
	if ki.Models == nil {
		ki.Models = []string{}
	}
	if ki.Metadata == nil {
		ki.Metadata = map[string]any{}
	}
	return ki
}

// apply copies the request's fields onto k, checking them.
func (s *Server) apply(ctx context.Context, req keyRequest, k *batchgate.Key, now time.Time) error {
	if req.Models != nil {
		if err := s.checkModels(*req.Models); err != nil {
			return err
		}
		k.Models = *req.Models
	}
	if req.UserID != nil {
		k.UserID = *req.UserID
	}
	if req.TeamID != nil {
		// A key is never attached to a team that does not exist: its budget
		// and model limits would silently not apply (LiteLLM refuses it too
		// once key generation settings are on: "Unable to find team object").
		if *req.TeamID != "" && *req.TeamID != k.TeamID {
			if _, err := s.Gateway.Store.FindTeamByID(ctx, *req.TeamID); batchgate.IsNotFound(err) {
				return &batchgate.Error{Code: batchgate.EINVALID, Param: "team_id", Message: fmt.Sprintf("Team %q does not exist; create it with /team/new first.", *req.TeamID)}
			} else if err != nil {
				return err
			}
		}
		k.TeamID = *req.TeamID
	}
	if req.KeyAlias != nil {
		k.KeyAlias = *req.KeyAlias
	}
	if req.Metadata != nil {
		k.Metadata = *req.Metadata
	}
	if req.Blocked != nil {
		k.Blocked = *req.Blocked
	}
	if err := req.budgetRequest.apply(&k.Budget, now); err != nil {
		return err
	}
	if req.Duration != nil {
		if *req.Duration == "" {
			k.ExpiresAt = nil
		} else {
			d, err := batchgate.ParseDuration(*req.Duration)
			if err != nil {
				return &batchgate.Error{Code: batchgate.EINVALID, Param: "duration", Message: "duration: " + err.Error()}
			}
			if d <= 0 {
				return &batchgate.Error{Code: batchgate.EINVALID, Param: "duration", Message: fmt.Sprintf("duration %q must be positive, such as \"30d\" (\"\" for a key that never expires)", *req.Duration)}
			}
			k.ExpiresAt = ptr(now.Add(d))
		}
	}
	return nil
}

func (s *Server) modelNames() []string {
	var names []string
	for _, d := range s.Gateway.Models(gateway.Caller{}) {
		names = append(names, d.Name())
	}
	return names
}

func (s *Server) handleKeyGenerate() http.Handler {
	return handle(func(w http.ResponseWriter, r *http.Request) error {
		var req keyRequest
		if err := decode(r, &req); err != nil {
			return err
		}
		secret := gateway.NewSecret()
		if req.Key != nil {
			if !strings.HasPrefix(*req.Key, "sk-") || len(*req.Key) < 12 {
				return &batchgate.Error{Code: batchgate.EINVALID, Param: "key", Message: "a chosen key must start with sk- and be at least 12 characters"}
			}
			secret = *req.Key
		}
		now := time.Now().UTC()
		// A custom secret may be issued again once its key is deleted: the
		// new key gets a new ID, so it owns none of the old key's objects.
		k := gateway.NewKey(secret, now)
		if err := s.apply(r.Context(), req, k, now); err != nil {
			return err
		}
		if err := s.Gateway.Store.CreateKey(r.Context(), k); err != nil {
			return err
		}
		logger(r.Context()).Info("key generated", "token", k.Token[:12], "key_alias", k.KeyAlias, "models", k.Models)
		ki := newKeyInfo(k)
		ki.Key = secret
		return encode(w, http.StatusOK, ki)
	})
}

// tokenOf returns the token (hash) of a key given as the secret ("sk-...")
// or as its token already.
func tokenOf(key string) string {
	if strings.HasPrefix(key, "sk-") {
		return gateway.HashKey(key)
	}
	return key
}

// findKey resolves a key given as the secret or as its token (hash).
func (s *Server) findKey(r *http.Request, key string) (*batchgate.Key, error) {
	k, err := s.Gateway.Store.FindKeyByToken(r.Context(), tokenOf(key))
	if batchgate.IsNotFound(err) {
		return nil, errKeyNotFound()
	}
	return k, err
}

// refindKey reads k again, as it is now. A key deleted meanwhile is
// ENOTFOUND, even when its secret has been issued again: that is another
// key, with another ID.
func (s *Server) refindKey(ctx context.Context, k *batchgate.Key) (*batchgate.Key, error) {
	fresh, err := s.Gateway.Store.FindKeyByToken(ctx, k.Token)
	if err == nil && fresh.ID != k.ID {
		return nil, errKeyNotFound()
	}
	return fresh, err
}

func errKeyNotFound() error {
	return &batchgate.Error{Code: batchgate.ENOTFOUND, Param: "key", Message: "Key not found."}
}

// handleKeyInfo answers GET /key/info?key=...; a virtual key may ask about itself only.
func (s *Server) handleKeyInfo() http.Handler {
	return handle(func(w http.ResponseWriter, r *http.Request) error {
		c := caller(r)
		key := r.URL.Query().Get("key")
		var k *batchgate.Key
		switch {
		case key == "" && c.Key != nil:
			k = c.Key
		case key == "":
			return &batchgate.Error{Code: batchgate.EINVALID, Param: "key", Message: "key is required with the master key"}
		default:
			var err error
			if k, err = s.findKey(r, key); err != nil {
				return err
			}
			if !c.Admin() && k.ID != c.Key.ID {
				// Another tenant's key answers exactly as a missing one: a
				// virtual key learns nothing about keys it does not hold.
				return errKeyNotFound()
			}
		}
		return encode(w, http.StatusOK, map[string]any{"key": k.Token, "info": newKeyInfo(k)})
	})
}

// handleKeyList answers GET /key/list as LiteLLM does: tokens, or full
// objects with return_full_object=true, paged by page and size.
func (s *Server) handleKeyList() http.Handler {
	return handle(func(w http.ResponseWriter, r *http.Request) error {
		q := r.URL.Query()
		keys, err := s.Gateway.Store.FindKeys(r.Context(), q.Get("user_id"), q.Get("team_id"))
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
		k, err := s.findKey(r, *req.Key)
		if err != nil {
			return err
		}
		// Read, change and write the key under its lock, so that a
		// concurrent /key/block (or update) is not overwritten.
		err = s.Gateway.Store.WithLock(r.Context(), "key:"+k.Token, func(ctx context.Context) error {
			if k, err = s.refindKey(ctx, k); err != nil {
				return err
			}
			now := time.Now().UTC()
			if err := s.apply(ctx, req, k, now); err != nil {
				return err
			}
			k.UpdatedAt = now
			return s.Gateway.Store.UpdateKey(ctx, k)
		})
		if batchgate.IsNotFound(err) { // deleted meanwhile
			return errKeyNotFound()
		}
		if err != nil {
			return err
		}
		if stored, err := s.refindKey(r.Context(), k); err == nil {
			k = stored // with the spend and budget period as they are now
		}
		return encode(w, http.StatusOK, newKeyInfo(k))
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
		var tokens []string
		for _, key := range req.Keys {
			k, err := s.findKey(r, key)
			if err != nil {
				return err
			}
			tokens = append(tokens, k.Token)
		}
		if len(req.KeyAliases) > 0 {
			all, err := s.Gateway.Store.FindKeys(r.Context(), "", "")
			if err != nil {
				return err
			}
			for _, alias := range req.KeyAliases {
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
			if err := s.Gateway.Store.DeleteKey(r.Context(), t); err != nil {
				return err
			}
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
