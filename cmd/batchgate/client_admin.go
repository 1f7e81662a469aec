package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// The admin commands: models, users, teams, spend logs and key changes, so
// that an admin needs neither curl nor the console. Objects are read as
// JSON maps where their shape is LiteLLM's and may grow.

func modelsList(ctx context.Context, c *cli, args []string) error {
	if _, err := c.parse(args, 0, 0); err != nil {
		return err
	}
	var list struct {
		Data []struct {
			ID      string `json:"id"`
			OwnedBy string `json:"owned_by"`
		} `json:"data"`
	}
	raw, err := c.get(ctx, http.MethodGet, "/v1/models", nil, &list)
	if err != nil {
		return err
	}
	if c.json {
		return c.printJSON(raw)
	}
	if len(list.Data) == 0 {
		c.note("no models: the key may use none (ask an admin for a key with --models)")
		return nil
	}
	for _, m := range list.Data {
		fmt.Fprintln(c.stdout, m.ID)
	}
	return nil
}

// splitList parses a comma-separated flag value.
func splitList(v string) []string {
	list := []string{}
	for _, m := range strings.Split(v, ",") {
		if m = strings.TrimSpace(m); m != "" {
			list = append(list, m)
		}
	}
	return list
}

// strList is a repeatable flag that also takes comma-separated values.
type strList []string

func (l *strList) String() string { return strings.Join(*l, ",") }
func (l *strList) Set(v string) error {
	*l = append(*l, splitList(v)...)
	return nil
}

// keyChangeFlags adds the flags keys update shares with create, and returns
// the request they make: only the flags given.
func keyChangeFlags(c *cli) func() map[string]any {
	models := c.fs.String("models", "", "comma-separated model names the key may use (empty: all)")
	alias := c.fs.String("alias", "", "a name for the key (key_alias)")
	duration := c.fs.String("duration", "", "lifetime from now, e.g. 30d, 12h")
	maxBudget := c.fs.Float64("max-budget", 0, "spend limit in USD")
	budgetDuration := c.fs.String("budget-duration", "", "budget period, e.g. 30d (the spend resets each period)")
	metadata := keyValues{}
	c.fs.Var(metadata, "metadata", "key metadata `key=value` (repeatable)")
	return func() map[string]any {
		req := map[string]any{}
		c.fs.Visit(func(f *flag.Flag) {
			switch f.Name {
			case "models":
				req["models"] = splitList(*models)
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
		return req
	}
}

func keysUpdate(ctx context.Context, c *cli, args []string) error {
	request := keyChangeFlags(c)
	pos, err := c.parse(args, 1, 1)
	if err != nil {
		return err
	}
	req := request()
	if len(req) == 0 {
		c.fs.Usage()
		return fmt.Errorf("%s: nothing to change: give at least one flag", c.fs.Name())
	}
	req["key"] = pos[0]
	var k keyObject
	raw, err := c.get(ctx, http.MethodPost, "/key/update", req, &k)
	if err != nil {
		return err
	}
	if c.json {
		return c.printJSON(raw)
	}
	k.Key = ""
	c.printKey(k)
	return nil
}

func keysBlock(ctx context.Context, c *cli, args []string) error { return keyBlock(ctx, c, args, true) }

func keysUnblock(ctx context.Context, c *cli, args []string) error {
	return keyBlock(ctx, c, args, false)
}

func keyBlock(ctx context.Context, c *cli, args []string, block bool) error {
	pos, err := c.parse(args, 1, 1)
	if err != nil {
		return err
	}
	path, done := "/key/block", "blocked"
	if !block {
		path, done = "/key/unblock", "unblocked"
	}
	raw, err := c.call(ctx, http.MethodPost, path, map[string]any{"key": pos[0]})
	if err != nil {
		return err
	}
	if c.json {
		return c.printJSON(raw)
	}
	fmt.Fprintf(c.stdout, "%s %s\n", done, maskSecret(pos[0]))
	return nil
}

func userNew(ctx context.Context, c *cli, args []string) error {
	userID := c.fs.String("user-id", "", "the user's id (default: generated)")
	email := c.fs.String("email", "", "the user's email (user_email)")
	alias := c.fs.String("alias", "", "a name for the user (user_alias)")
	models := c.fs.String("models", "", "comma-separated model names the user may use (default: all)")
	maxBudget := c.fs.Float64("max-budget", 0, "the user's spend limit in USD")
	budgetDuration := c.fs.String("budget-duration", "", "budget period, e.g. 30d")
	var teams strList
	c.fs.Var(&teams, "team", "make the user a member of this team `ID` (repeatable)")
	noKey := c.fs.Bool("no-key", false, "do not create a key for the user (auto_create_key=false)")
	if _, err := c.parse(args, 0, 0); err != nil {
		return err
	}
	req := map[string]any{}
	c.fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "user-id":
			req["user_id"] = *userID
		case "email":
			req["user_email"] = *email
		case "alias":
			req["user_alias"] = *alias
		case "models":
			req["models"] = splitList(*models)
		case "max-budget":
			req["max_budget"] = *maxBudget
		case "budget-duration":
			req["budget_duration"] = *budgetDuration
		case "team":
			req["teams"] = []string(teams)
		case "no-key":
			req["auto_create_key"] = !*noKey
		}
	})
	var out map[string]any
	raw, err := c.get(ctx, http.MethodPost, "/user/new", req, &out)
	if err != nil {
		return err
	}
	if c.json {
		return c.printJSON(raw)
	}
	c.printObject(out, "user_id", "key", "user_email", "user_alias", "models", "teams", "spend", "max_budget", "budget_duration")
	if out["key"] != nil {
		c.note("keep the key: it is not shown again")
	}
	return nil
}

func userInfoCmd(ctx context.Context, c *cli, args []string) error {
	pos, err := c.parse(args, 0, 1)
	if err != nil {
		return err
	}
	path := "/user/info"
	if len(pos) == 1 {
		path += "?" + url.Values{"user_id": {pos[0]}}.Encode()
	}
	var out struct {
		UserID   string           `json:"user_id"`
		UserInfo map[string]any   `json:"user_info"`
		Keys     []map[string]any `json:"keys"`
		Teams    []any            `json:"teams"`
	}
	raw, err := c.get(ctx, http.MethodGet, path, nil, &out)
	if err != nil {
		return err
	}
	if c.json {
		return c.printJSON(raw)
	}
	info := out.UserInfo
	if info == nil {
		info = map[string]any{}
	}
	if info["user_id"] == nil {
		info["user_id"] = out.UserID
	}
	var teams []string
	for _, t := range out.Teams {
		if m, ok := t.(map[string]any); ok {
			t = m["team_id"]
		}
		teams = append(teams, fmt.Sprint(t))
	}
	info["teams"] = strings.Join(teams, ",")
	c.printObject(info, "user_id", "user_email", "user_alias", "models", "teams", "spend", "max_budget", "budget_duration")
	c.printKeyRows(out.Keys)
	return nil
}

func userList(ctx context.Context, c *cli, args []string) error {
	if _, err := c.parse(args, 0, 0); err != nil {
		return err
	}
	var out struct {
		Users []map[string]any `json:"users"`
	}
	raw, err := c.get(ctx, http.MethodGet, "/user/list", nil, &out)
	if err != nil {
		return err
	}
	if c.json {
		return c.printJSON(raw)
	}
	if len(out.Users) == 0 {
		c.note("no users")
		return nil
	}
	tw := c.table()
	fmt.Fprintln(tw, "USER\tEMAIL\tALIAS\tMODELS\tSPEND\tBUDGET")
	for _, u := range out.Users {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", field(u, "user_id"), field(u, "user_email"), field(u, "user_alias"),
			field(u, "models"), field(u, "spend"), field(u, "max_budget"))
	}
	return tw.Flush()
}

func teamNew(ctx context.Context, c *cli, args []string) error {
	teamID := c.fs.String("team-id", "", "the team's id (default: generated)")
	alias := c.fs.String("alias", "", "a name for the team (team_alias)")
	models := c.fs.String("models", "", "comma-separated model names the team may use (default: all)")
	maxBudget := c.fs.Float64("max-budget", 0, "the team's spend limit in USD")
	budgetDuration := c.fs.String("budget-duration", "", "budget period, e.g. 30d")
	var members strList
	c.fs.Var(&members, "member", "a member's user `ID` (repeatable; role user)")
	if _, err := c.parse(args, 0, 0); err != nil {
		return err
	}
	req := map[string]any{}
	c.fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "team-id":
			req["team_id"] = *teamID
		case "alias":
			req["team_alias"] = *alias
		case "models":
			req["models"] = splitList(*models)
		case "max-budget":
			req["max_budget"] = *maxBudget
		case "budget-duration":
			req["budget_duration"] = *budgetDuration
		case "member":
			var m []map[string]string
			for _, id := range members {
				m = append(m, map[string]string{"user_id": id, "role": "user"})
			}
			req["members_with_roles"] = m
		}
	})
	var out map[string]any
	raw, err := c.get(ctx, http.MethodPost, "/team/new", req, &out)
	if err != nil {
		return err
	}
	if c.json {
		return c.printJSON(raw)
	}
	c.printTeam(out)
	return nil
}

func (c *cli) printTeam(t map[string]any) {
	var members []string
	if list, ok := t["members_with_roles"].([]any); ok {
		for _, m := range list {
			if mm, ok := m.(map[string]any); ok {
				members = append(members, fmt.Sprintf("%v (%v)", mm["user_id"], mm["role"]))
			}
		}
	}
	t["members"] = strings.Join(members, ", ")
	c.printObject(t, "team_id", "team_alias", "models", "members", "spend", "max_budget", "budget_duration")
}

func teamInfoCmd(ctx context.Context, c *cli, args []string) error {
	pos, err := c.parse(args, 1, 1)
	if err != nil {
		return err
	}
	var out struct {
		TeamInfo map[string]any   `json:"team_info"`
		Keys     []map[string]any `json:"keys"`
	}
	raw, err := c.get(ctx, http.MethodGet, "/team/info?"+url.Values{"team_id": {pos[0]}}.Encode(), nil, &out)
	if err != nil {
		return err
	}
	if c.json {
		return c.printJSON(raw)
	}
	if out.TeamInfo == nil {
		out.TeamInfo = map[string]any{"team_id": pos[0]}
	}
	c.printTeam(out.TeamInfo)
	c.printKeyRows(out.Keys)
	return nil
}

func teamList(ctx context.Context, c *cli, args []string) error {
	if _, err := c.parse(args, 0, 0); err != nil {
		return err
	}
	raw, err := c.call(ctx, http.MethodGet, "/team/list", nil)
	if err != nil {
		return err
	}
	if c.json {
		return c.printJSON(raw)
	}
	// LiteLLM answers a JSON array; accept {"teams": [...]} too.
	var teams []map[string]any
	if json.Unmarshal(raw, &teams) != nil {
		var wrapped struct {
			Teams []map[string]any `json:"teams"`
		}
		if err := json.Unmarshal(raw, &wrapped); err != nil {
			return fmt.Errorf("GET /team/list: unexpected answer: %w", err)
		}
		teams = wrapped.Teams
	}
	if len(teams) == 0 {
		c.note("no teams")
		return nil
	}
	tw := c.table()
	fmt.Fprintln(tw, "TEAM\tALIAS\tMODELS\tMEMBERS\tSPEND\tBUDGET")
	for _, t := range teams {
		members, _ := t["members_with_roles"].([]any)
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\n", field(t, "team_id"), field(t, "team_alias"), field(t, "models"),
			len(members), field(t, "spend"), field(t, "max_budget"))
	}
	return tw.Flush()
}

func teamMemberAdd(ctx context.Context, c *cli, args []string) error {
	role := c.fs.String("role", "user", "the member's role: user or admin")
	pos, err := c.parse(args, 2, 2)
	if err != nil {
		return err
	}
	req := map[string]any{"team_id": pos[0], "member": map[string]string{"user_id": pos[1], "role": *role}}
	var out map[string]any
	raw, err := c.get(ctx, http.MethodPost, "/team/member_add", req, &out)
	if err != nil {
		return err
	}
	if c.json {
		return c.printJSON(raw)
	}
	fmt.Fprintf(c.stdout, "added %s to team %s as %s\n", pos[1], pos[0], *role)
	return nil
}

func spendLogs(ctx context.Context, c *cli, args []string) error {
	key := c.fs.String("key", "", "only this key's logs (its secret, token or key_id)")
	userID := c.fs.String("user-id", "", "only this user's logs")
	teamID := c.fs.String("team-id", "", "only this team's logs")
	batch := c.fs.String("batch", "", "only this batch's log (request_id)")
	from := c.fs.String("start-date", "", "only logs from this day on, `YYYY-MM-DD` (UTC)")
	until := c.fs.String("end-date", "", "only logs up to this day, included, `YYYY-MM-DD` (UTC)")
	daily := c.fs.Bool("daily", false, "one line per day from --start-date to --end-date (both needed)")
	if _, err := c.parse(args, 0, 0); err != nil {
		return err
	}
	if *daily && (*from == "" || *until == "") {
		return errors.New("--daily needs --start-date and --end-date")
	}
	q := url.Values{}
	for name, v := range map[string]string{"api_key": *key, "user_id": *userID, "team_id": *teamID, "request_id": *batch,
		"start_date": *from, "end_date": *until} {
		if v != "" {
			q.Set(name, v)
		}
	}
	if *from != "" && *until != "" {
		q.Set("summarize", strconv.FormatBool(*daily)) // the API's default with both dates is the daily sums
	}
	path := "/spend/logs"
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	var logs []map[string]any
	raw, err := c.get(ctx, http.MethodGet, path, nil, &logs)
	if err != nil {
		return err
	}
	if c.json {
		return c.printJSON(raw)
	}
	if *daily {
		tw := c.table()
		fmt.Fprintln(tw, "DAY\tSPEND")
		var total float64
		for _, d := range logs {
			spend, _ := d["spend"].(float64)
			total += spend
			fmt.Fprintf(tw, "%s\t$%.6f\n", field(d, "startTime"), spend)
		}
		fmt.Fprintf(tw, "total\t$%.6f\n", total)
		return tw.Flush()
	}
	if len(logs) == 0 {
		c.note("no spend logs (a batch is billed when it ends)")
		return nil
	}
	tw := c.table()
	fmt.Fprintln(tw, "BATCH\tMODEL\tKEY\tUSER\tTEAM\tTOKENS\tSPEND\tAT")
	var total float64
	for _, l := range logs {
		spend, _ := l["spend"].(float64)
		total += spend
		at := field(l, "endTime")
		if t, err := time.Parse(time.RFC3339Nano, at); err == nil {
			at = t.Local().Format("2006-01-02 15:04:05")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t$%.6f\t%s\n", field(l, "request_id"), field(l, "model_group"), field(l, "api_key"),
			field(l, "user"), field(l, "team_id"), field(l, "total_tokens"), spend, at)
	}
	fmt.Fprintf(tw, "total\t\t\t\t\t\t$%.6f\t\n", total)
	return tw.Flush()
}

// field renders m[name] for a table cell: lists comma-separated, numbers
// without exponents, null and empty as "-".
func field(m map[string]any, name string) string {
	switch v := m[name].(type) {
	case nil:
		return "-"
	case string:
		return orDash(v)
	case float64:
		return strings.TrimRight(strings.TrimRight(fmt.Sprintf("%.6f", v), "0"), ".")
	case []any:
		if len(v) == 0 {
			if name == "models" {
				return "all"
			}
			return "-"
		}
		s := make([]string, len(v))
		for i, x := range v {
			s[i] = fmt.Sprint(x)
		}
		return strings.Join(s, ",")
	default:
		return fmt.Sprint(v)
	}
}

// printObject prints the named fields of an object first, then the others
// that are set, one per row.
func (c *cli) printObject(m map[string]any, first ...string) {
	tw := c.table()
	done := map[string]bool{}
	for _, name := range first {
		done[name] = true
		if _, ok := m[name]; ok {
			fmt.Fprintf(tw, "%s\t%s\n", name, field(m, name))
		}
	}
	var rest []string
	for name, v := range m {
		if !done[name] && v != nil && name != "members_with_roles" {
			rest = append(rest, name)
		}
	}
	sort.Strings(rest)
	for _, name := range rest {
		if _, nested := m[name].(map[string]any); nested {
			b, _ := json.Marshal(m[name])
			fmt.Fprintf(tw, "%s\t%s\n", name, b)
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\n", name, field(m, name))
	}
	tw.Flush()
}

// printKeyRows lists keys (of a user or team) under its object.
func (c *cli) printKeyRows(keys []map[string]any) {
	if len(keys) == 0 {
		return
	}
	fmt.Fprintln(c.stdout)
	tw := c.table()
	fmt.Fprintln(tw, "KEY\tALIAS\tMODELS\tSPEND\tBLOCKED")
	for _, k := range keys {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", firstNonEmpty(fieldOr(k, "key_name"), fieldOr(k, "token")), field(k, "key_alias"),
			field(k, "models"), field(k, "spend"), field(k, "blocked"))
	}
	tw.Flush()
}

func fieldOr(m map[string]any, name string) string {
	if s := field(m, name); s != "-" {
		return s
	}
	return ""
}
