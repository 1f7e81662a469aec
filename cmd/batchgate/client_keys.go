package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// keyObject is LiteLLM's key object, as /key/generate, /key/info and /key/list return it.
type keyObject struct {
	Key            string         `json:"key,omitempty"` // the secret: /key/generate only
	KeyName        string         `json:"key_name"`
	Token          string         `json:"token"`
	KeyAlias       *string        `json:"key_alias"`
	Models         []string       `json:"models"`
	UserID         *string        `json:"user_id"`
	TeamID         *string        `json:"team_id"`
	Metadata       map[string]any `json:"metadata"`
	Spend          float64        `json:"spend"`
	MaxBudget      *float64       `json:"max_budget"`
	BudgetDuration *string        `json:"budget_duration"`
	Expires        *time.Time     `json:"expires"`
	CreatedAt      *time.Time     `json:"created_at"`
}

func keysCreate(ctx context.Context, c *cli, args []string) error {
	models := c.fs.String("models", "", "comma-separated model names the key may use (default: all)")
	userID := c.fs.String("user-id", "", "the key's user")
	teamID := c.fs.String("team-id", "", "the key's team")
	alias := c.fs.String("alias", "", "a name for the key (key_alias)")
	duration := c.fs.String("duration", "", "lifetime, e.g. 30d, 12h (default: no expiry)")
	maxBudget := c.fs.Float64("max-budget", 0, "spend limit in USD")
	budgetDuration := c.fs.String("budget-duration", "", "budget period, e.g. 30d (the spend resets each period)")
	metadata := keyValues{}
	c.fs.Var(metadata, "metadata", "key metadata `key=value` (repeatable)")
	if _, err := c.parse(args, 0, 0); err != nil {
		return err
	}
	req := map[string]any{}
	c.fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "models":
			list := []string{}
			for _, m := range strings.Split(*models, ",") {
				if m = strings.TrimSpace(m); m != "" {
					list = append(list, m)
				}
			}
			req["models"] = list
		case "user-id":
			req["user_id"] = *userID
		case "team-id":
			req["team_id"] = *teamID
		case "alias":
			req["key_alias"] = *alias
		case "duration":
			req["duration"] = *duration
		case "max-budget":
			req["max_budget"] = *maxBudget
		case "budget-duration":
			req["budget_duration"] = *budgetDuration
		case "metadata":
			req["metadata"] = metadata
		}
	})
	var k keyObject
	raw, err := c.get(ctx, http.MethodPost, "/key/generate", req, &k)
	if err != nil {
		return err
	}
	if c.json {
		return c.printJSON(raw)
	}
	c.printKey(k)
	c.note("keep the key: it is not shown again")
	return nil
}

func (c *cli) printKey(k keyObject) {
	tw := c.table()
	row := func(name, v string) { fmt.Fprintf(tw, "%s\t%s\n", name, v) }
	if k.Key != "" {
		row("key", k.Key)
	}
	row("key_name", orDash(k.KeyName))
	row("token", k.Token)
	row("alias", orDash(deref(k.KeyAlias)))
	row("models", modelsText(k.Models))
	row("user_id", orDash(deref(k.UserID)))
	row("team_id", orDash(deref(k.TeamID)))
	row("spend", fmt.Sprintf("$%.6f", k.Spend))
	row("max_budget", budgetText(k.MaxBudget))
	if k.BudgetDuration != nil {
		row("budget_duration", *k.BudgetDuration)
	}
	row("expires", expiresText(k.Expires))
	if k.CreatedAt != nil {
		row("created_at", when(k.CreatedAt.Unix()))
	}
	if len(k.Metadata) > 0 {
		var kv []string
		for name, v := range k.Metadata {
			kv = append(kv, fmt.Sprintf("%s=%v", name, v))
		}
		sort.Strings(kv)
		row("metadata", strings.Join(kv, ", "))
	}
	tw.Flush()
}

func modelsText(m []string) string {
	if len(m) == 0 {
		return "all"
	}
	return strings.Join(m, ",")
}

func budgetText(b *float64) string {
	if b == nil {
		return "-"
	}
	return fmt.Sprintf("$%.2f", *b)
}

func expiresText(t *time.Time) string {
	if t == nil {
		return "never"
	}
	return when(t.Unix())
}

// keyListPage is the answer of GET /key/list.
type keyListPage struct {
	Keys        []json.RawMessage `json:"keys"`
	TotalCount  int               `json:"total_count"`
	CurrentPage int               `json:"current_page"`
	TotalPages  int               `json:"total_pages"`
}

func keysList(ctx context.Context, c *cli, args []string) error {
	userID := c.fs.String("user-id", "", "only this user's keys")
	teamID := c.fs.String("team-id", "", "only this team's keys")
	if _, err := c.parse(args, 0, 0); err != nil {
		return err
	}
	// Every page, 100 keys at a time (LiteLLM's largest page).
	var all []json.RawMessage
	for page := 1; ; page++ {
		q := url.Values{"return_full_object": {"true"}, "page": {strconv.Itoa(page)}, "size": {"100"}}
		if *userID != "" {
			q.Set("user_id", *userID)
		}
		if *teamID != "" {
			q.Set("team_id", *teamID)
		}
		var p keyListPage
		if _, err := c.get(ctx, http.MethodGet, "/key/list?"+q.Encode(), nil, &p); err != nil {
			return err
		}
		all = append(all, p.Keys...)
		if page >= p.TotalPages || len(p.Keys) == 0 {
			break
		}
	}
	if c.json {
		if all == nil {
			all = []json.RawMessage{}
		}
		b, err := json.Marshal(map[string]any{"keys": all, "total_count": len(all)})
		if err != nil {
			return err
		}
		return c.printJSON(b)
	}
	if len(all) == 0 {
		c.note("no keys")
		return nil
	}
	tw := c.table()
	fmt.Fprintln(tw, "KEY\tALIAS\tMODELS\tUSER\tTEAM\tSPEND\tBUDGET\tEXPIRES")
	for _, raw := range all {
		var k keyObject
		if err := json.Unmarshal(raw, &k); err != nil {
			// return_full_object is not honoured: the server sent bare tokens.
			var token string
			if json.Unmarshal(raw, &token) != nil {
				return fmt.Errorf("GET /key/list: unexpected key %.100s", raw)
			}
			k.Token = token
		}
		expires := "never"
		if k.Expires != nil {
			expires = ago(*k.Expires)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t$%.4f\t%s\t%s\n", firstNonEmpty(k.KeyName, k.Token), orDash(deref(k.KeyAlias)),
			modelsText(k.Models), orDash(deref(k.UserID)), orDash(deref(k.TeamID)), k.Spend, budgetText(k.MaxBudget), expires)
	}
	return tw.Flush()
}

func keysInfo(ctx context.Context, c *cli, args []string) error {
	pos, err := c.parse(args, 0, 1)
	if err != nil {
		return err
	}
	path := "/key/info"
	if len(pos) == 1 {
		path += "?" + url.Values{"key": {pos[0]}}.Encode()
	}
	var info struct {
		Key  string    `json:"key"`
		Info keyObject `json:"info"`
	}
	raw, err := c.get(ctx, http.MethodGet, path, nil, &info)
	if err != nil {
		return err
	}
	if c.json {
		return c.printJSON(raw)
	}
	if info.Info.Token == "" {
		info.Info.Token = info.Key
	}
	info.Info.Key = "" // /key/info never carries the secret; don't print what was asked
	c.printKey(info.Info)
	return nil
}

func keysDelete(ctx context.Context, c *cli, args []string) error {
	pos, err := c.parse(args, 1, -1)
	if err != nil {
		return err
	}
	var out struct {
		DeletedKeys []string `json:"deleted_keys"`
	}
	raw, err := c.get(ctx, http.MethodPost, "/key/delete", map[string]any{"keys": pos}, &out)
	if err != nil {
		return err
	}
	if c.json {
		return c.printJSON(raw)
	}
	for _, k := range out.DeletedKeys {
		fmt.Fprintf(c.stdout, "deleted %s\n", maskSecret(k))
	}
	return nil
}

// maskSecret shortens a secret key for display; tokens (hashes) are shown whole.
func maskSecret(k string) string {
	if strings.HasPrefix(k, "sk-") && len(k) > 10 {
		return k[:7] + "..." + k[len(k)-4:]
	}
	return k
}
