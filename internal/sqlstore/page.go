package sqlstore

import (
	"strings"

	"github.com/batchgate/batchgate"
)

// Limit returns the number of rows a page may hold.
func Limit(p batchgate.Page) int {
	if p.Limit <= 0 {
		return DefaultLimit
	}
	return min(p.Limit, MaxLimit)
}

// ScopeSQL returns the condition selecting the rows that s may see (the SQL
// form of batchgate.Scope.Allows), and false if s sees nothing. An empty
// KeyID or TeamID in the scope matches nothing: it must not select the
// master key's objects, whose owner columns are empty.
func ScopeSQL(s batchgate.Scope) (cond string, args []any, ok bool) {
	if s.All {
		return "1=1", nil, true
	}
	var or []string
	if s.KeyID != "" {
		or = append(or, "owner_key_id = ?")
		args = append(args, s.KeyID)
	}
	if s.TeamID != "" {
		or = append(or, "owner_team_id = ?")
		args = append(args, s.TeamID)
	}
	if len(or) == 0 {
		return "", nil, false
	}
	return "(" + strings.Join(or, " OR ") + ")", args, true
}

// Where accumulates AND-ed conditions and their arguments.
type Where struct {
	Conds []string
	Args  []any
}

// Add adds cond, whose placeholders take args.
func (w *Where) Add(cond string, args ...any) {
	w.Conds = append(w.Conds, cond)
	w.Args = append(w.Args, args...)
}

func (w *Where) String() string {
	if len(w.Conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.Conds, " AND ")
}

// After adds the keyset condition of a newest-first page: rows older than
// the row with id p.After, ties broken by id. The row is looked up within
// scope, so an id the caller can't see (or that doesn't exist) gives an
// empty page and reveals nothing about it.
func (w *Where) After(table string, p batchgate.Page, scope string, scopeArgs []any) {
	if p.After == "" {
		return
	}
	w.Add(`(created_at, id) `+PageAfter(p)+` (SELECT created_at, id FROM `+table+` WHERE id = ? AND `+scope+`)`,
		append([]any{p.After}, scopeArgs...)...)
}

// PageOrder is the ORDER BY of a page, and PageAfter the comparison of
// (created_at, id) with its cursor's: newest first, or oldest when Ascending.
func PageOrder(p batchgate.Page) string {
	if p.Ascending {
		return "created_at ASC, id ASC"
	}
	return "created_at DESC, id DESC"
}

func PageAfter(p batchgate.Page) string {
	if p.Ascending {
		return ">"
	}
	return "<"
}
