package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/batchgate/batchgate"
)

// budgeted lets the budget tests treat keys, users and teams alike.
type budgeted struct {
	kind   string
	create func(t *testing.T, id string, b batchgate.Budget)
	budget func(t *testing.T, id string) batchgate.Budget
}

func budgetedKinds(s batchgate.Store) (key, user, team budgeted) {
	key = budgeted{"key",
		func(t *testing.T, id string, b batchgate.Budget) {
			t.Helper()
			must(t, s.CreateKey(t.Context(), &batchgate.Key{ID: id, Token: keyToken(id), Budget: b, CreatedAt: base, UpdatedAt: base}))
		},
		func(t *testing.T, id string) batchgate.Budget {
			t.Helper()
			k, err := s.FindKeyByToken(t.Context(), keyToken(id))
			must(t, err)
			return k.Budget
		}}
	user = budgeted{"user",
		func(t *testing.T, id string, b batchgate.Budget) {
			t.Helper()
			must(t, s.CreateUser(t.Context(), &batchgate.User{UserID: id, Budget: b, CreatedAt: base, UpdatedAt: base}))
		},
		func(t *testing.T, id string) batchgate.Budget {
			t.Helper()
			u, err := s.FindUserByID(t.Context(), id)
			must(t, err)
			return u.Budget
		}}
	team = budgeted{"team",
		func(t *testing.T, id string, b batchgate.Budget) {
			t.Helper()
			must(t, s.CreateTeam(t.Context(), &batchgate.Team{TeamID: id, Budget: b, CreatedAt: base, UpdatedAt: base}))
		},
		func(t *testing.T, id string) batchgate.Budget {
			t.Helper()
			tm, err := s.FindTeamByID(t.Context(), id)
			must(t, err)
			return tm.Budget
		}}
	return key, user, team
}

func (b budgeted) checkSpend(t *testing.T, id string, want float64) {
	t.Helper()
	if got := b.budget(t, id).Spend; got != want {
		t.Errorf("%s %s: Spend = %v, want %v", b.kind, id, got, want)
	}
}

func testReservedSpend(t *testing.T, s batchgate.Store) {
	ctx := t.Context()
	// Powers of two: every sum is exact and tells which batches it counted.
	for i, b := range []struct {
		owner    batchgate.Owner
		status   string
		reserved float64
	}{
		{ownerA, batchgate.StatusInProgress, 1},
		{ownerA, batchgate.StatusValidating, 2},
		{ownerA, batchgate.StatusCompleted, 1024},
		{ownerA, batchgate.StatusFailed, 1024},
		{ownerA, batchgate.StatusExpired, 1024},
		{ownerA, batchgate.StatusCancelled, 1024},
		{ownerB, batchgate.StatusFinalizing, 4},
		{ownerC, batchgate.StatusInProgress, 8},
		{batchgate.Owner{UserID: ownerA.UserID}, batchgate.StatusCancelling, 16}, // the master key, for a user
		{ownerMaster, batchgate.StatusInProgress, 32},
		{ownerD, "some_future_status", 64},
	} {
		must(t, s.CreateBatch(ctx, &batchgate.Batch{ID: fmt.Sprintf("batch-%d", i), Owner: b.owner, Status: b.status,
			Reserved: b.reserved, CreatedAt: base, UpdatedAt: base}))
	}
	check := func(o batchgate.Owner, key, user, team float64) {
		t.Helper()
		k, u, tm, err := s.ReservedSpend(ctx, o)
		if err != nil {
			t.Errorf("ReservedSpend(%+v): %v", o, err)
		} else if k != key || u != user || tm != team {
			t.Errorf("ReservedSpend(%+v) = %v, %v, %v; want %v, %v, %v", o, k, u, tm, key, user, team)
		}
	}
	check(ownerA, 3, 19, 7)
	check(ownerB, 4, 4, 7)
	check(ownerC, 8, 8, 8)
	check(ownerD, 64, 64, 0)
	check(ownerMaster, 0, 0, 0)
	check(batchgate.Owner{UserID: ownerA.UserID}, 0, 19, 0)
	check(batchgate.Owner{TeamID: ownerC.TeamID}, 0, 0, 8)
	check(batchgate.Owner{KeyID: "nobody", UserID: "nobody", TeamID: "nobody"}, 0, 0, 0)

	// A batch that finishes no longer holds its reservation.
	b, err := s.FindBatchByID(ctx, "batch-0")
	must(t, err)
	b.Status = batchgate.StatusCompleted
	must(t, s.UpdateBatch(ctx, b))
	check(ownerA, 2, 18, 6)
}

func testResetBudgets(t *testing.T, s batchgate.Store) {
	ctx := t.Context()
	now := base.Add(100 * 24 * time.Hour)
	at := func(d time.Duration) *time.Time { x := now.Add(d); return &x }
	const day = 24 * time.Hour
	rows := []struct {
		id, duration string
		resetAt      *time.Time
		next         *time.Time // nil: not reset
	}{
		{"due-now", "1d", at(0), at(day)},
		{"overdue", "1d", at(-10*day - 12*time.Hour), at(12 * time.Hour)},
		{"overdue-whole-periods", "1w", at(-3 * 7 * day), at(7 * day)},
		{"seconds", "30s", at(-90 * time.Second), at(30 * time.Second)},
		{"not-yet", "1d", at(time.Second), nil},
		{"no-reset-at", "1d", nil, nil},
		{"bad-duration", "fortnight", at(-time.Hour), nil},
		{"no-duration", "", at(-time.Hour), nil},
		{"zero-duration", "0d", at(-time.Hour), nil},
	}
	key, user, team := budgetedKinds(s)
	kinds := []budgeted{key, user, team}
	maxBudget := 10.0
	due := 0
	for _, k := range kinds {
		for _, r := range rows {
			k.create(t, r.id, batchgate.Budget{MaxBudget: &maxBudget, Spend: 3, BudgetDuration: r.duration, BudgetResetAt: r.resetAt})
			if r.next != nil {
				due++
			}
		}
	}
	reset, err := s.ResetBudgets(ctx, now)
	must(t, err)
	if reset != due {
		t.Errorf("ResetBudgets = %d, want %d", reset, due)
	}
	for _, k := range kinds {
		for _, r := range rows {
			want := batchgate.Budget{MaxBudget: &maxBudget, Spend: 3, BudgetDuration: r.duration, BudgetResetAt: r.resetAt}
			if r.next != nil {
				want.Spend, want.BudgetResetAt = 0, r.next
			}
			got := k.budget(t, r.id)
			checkEqual(t, k.kind+" "+r.id, &got, &want)
		}
	}

	// Nothing is due again until the next reset times.
	reset, err = s.ResetBudgets(ctx, now)
	must(t, err)
	if reset != 0 {
		t.Errorf("second ResetBudgets = %d, want 0", reset)
	}
	// Half a day later: overdue (now+12h), not-yet (now+1s) and seconds
	// (now+30s) are due.
	later := now.Add(12 * time.Hour)
	reset, err = s.ResetBudgets(ctx, later)
	must(t, err)
	if want := 3 * len(kinds); reset != want {
		t.Errorf("ResetBudgets half a day later = %d, want %d", reset, want)
	}
	for _, k := range kinds {
		for _, r := range []struct {
			id   string
			next time.Time
		}{
			{"overdue", now.Add(36 * time.Hour)},
			{"not-yet", now.Add(time.Second + day)},
			{"seconds", now.Add(30*time.Second + 12*time.Hour)},
			{"due-now", now.Add(day)},
		} {
			got := k.budget(t, r.id)
			if got.Spend != 0 || got.BudgetResetAt == nil || !sameTime(*got.BudgetResetAt, r.next) {
				t.Errorf("%s %s: Spend %v, BudgetResetAt %v; want 0, %v", k.kind, r.id, got.Spend, got.BudgetResetAt, r.next)
			}
		}
	}
}

// testRecordSpendAttribution bills batches of owners whose key, user and
// team exist or not: each that exists is billed, nothing else.
func testRecordSpendAttribution(t *testing.T, s batchgate.Store) {
	ctx := t.Context()
	key, user, team := budgetedKinds(s)
	key.create(t, ownerA.KeyID, batchgate.Budget{Spend: 1})
	user.create(t, ownerA.UserID, batchgate.Budget{Spend: 2})
	team.create(t, ownerA.TeamID, batchgate.Budget{Spend: 4})
	// Bystanders, among them a user and team with an empty id, which the
	// master key's batches must not bill (a key cannot have an empty ID).
	for _, id := range []string{ownerC.KeyID, ownerC.UserID, ownerC.TeamID, ""} {
		if id != "" {
			key.create(t, id, batchgate.Budget{Spend: 8})
		}
		user.create(t, id, batchgate.Budget{Spend: 8})
		team.create(t, id, batchgate.Budget{Spend: 8})
	}
	record := func(batchID string, o batchgate.Owner, cost float64, want bool) {
		t.Helper()
		ok, err := s.RecordSpend(ctx, &batchgate.SpendLog{BatchID: batchID, Owner: o, Cost: cost, CreatedAt: base})
		if err != nil || ok != want {
			t.Errorf("RecordSpend(%s, %+v) = %v, %v; want %v, nil", batchID, o, ok, err, want)
		}
	}
	check := func(k, u, tm float64) {
		t.Helper()
		key.checkSpend(t, ownerA.KeyID, k)
		user.checkSpend(t, ownerA.UserID, u)
		team.checkSpend(t, ownerA.TeamID, tm)
	}
	record("batch-1", ownerA, 0.5, true)
	check(1.5, 2.5, 4.5)
	record("batch-1", ownerA, 100, false)
	check(1.5, 2.5, 4.5)
	record("batch-2", batchgate.Owner{UserID: ownerA.UserID, TeamID: "no-such-team"}, 0.25, true)
	check(1.5, 2.75, 4.5)
	record("batch-3", batchgate.Owner{KeyID: "no-such-key", TeamID: ownerA.TeamID}, 0.125, true)
	check(1.5, 2.75, 4.625)
	record("batch-4", ownerMaster, 64, true)
	check(1.5, 2.75, 4.625)
	for _, b := range []budgeted{key, user, team} {
		for _, id := range []string{ownerC.KeyID, ownerC.UserID, ownerC.TeamID, ""} {
			if id == "" && b.kind == "key" {
				continue
			}
			b.checkSpend(t, id, 8)
		}
	}
	logs, err := s.FindSpendLogs(ctx, batchgate.Scope{All: true})
	must(t, err)
	if len(logs) != 4 {
		t.Errorf("FindSpendLogs: got %d logs, want 4", len(logs))
	}
}

// testRecordSpendConcurrentAttribution bills the batches of two keys of one
// team concurrently, each batch twice: the key, user and team rows are
// updated by concurrent transactions (in PostgreSQL, they must not deadlock).
func testRecordSpendConcurrentAttribution(t *testing.T, s batchgate.Store) {
	testRecordSpendConcurrently(t, []batchgate.Store{s})
}

func testReplicasRecordSpend(t *testing.T, replicas []batchgate.Store) {
	testRecordSpendConcurrently(t, replicas)
}

func testRecordSpendConcurrently(t *testing.T, stores []batchgate.Store) {
	ctx := t.Context()
	key, user, team := budgetedKinds(stores[0])
	for _, o := range []batchgate.Owner{ownerA, ownerB} {
		key.create(t, o.KeyID, batchgate.Budget{})
		user.create(t, o.UserID, batchgate.Budget{})
	}
	team.create(t, ownerA.TeamID, batchgate.Budget{Spend: 1})
	const n = 12
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		wins = map[string]int{}
	)
	for i := range n {
		for j, o := range []batchgate.Owner{ownerA, ownerB} {
			cost := 0.125 * float64(j+1)
			for c := range 2 { // each batch is billed twice, through different stores
				s := stores[(i+j+c)%len(stores)]
				wg.Go(func() {
					id := fmt.Sprintf("batch-%s-%d", o.KeyID, i)
					ok, err := s.RecordSpend(ctx, &batchgate.SpendLog{BatchID: id, Owner: o, Cost: cost, CreatedAt: base})
					if err != nil {
						t.Errorf("RecordSpend %s: %v", id, err)
					}
					if ok {
						mu.Lock()
						wins[id]++
						mu.Unlock()
					}
				})
			}
		}
	}
	wg.Wait()
	if len(wins) != 2*n {
		t.Errorf("%d batches billed, want %d", len(wins), 2*n)
	}
	for id, w := range wins {
		if w != 1 {
			t.Errorf("batch %s billed %d times", id, w)
		}
	}
	check := stores[len(stores)-1]
	key, user, team = budgetedKinds(check)
	key.checkSpend(t, ownerA.KeyID, n*0.125)
	user.checkSpend(t, ownerA.UserID, n*0.125)
	key.checkSpend(t, ownerB.KeyID, n*0.25)
	user.checkSpend(t, ownerB.UserID, n*0.25)
	team.checkSpend(t, ownerA.TeamID, 1+n*0.375)
}

// testReplicasResetBudgets resets budgets from every replica at once: each
// budget is reset once, and its reset time moves on by one period.
func testReplicasResetBudgets(t *testing.T, replicas []batchgate.Store) {
	ctx := t.Context()
	now := base.Add(100 * 24 * time.Hour)
	resetAt := now.Add(-time.Minute)
	key, user, team := budgetedKinds(replicas[0])
	kinds := []budgeted{key, user, team}
	const perKind = 4
	for _, k := range kinds {
		for i := range perKind {
			k.create(t, fmt.Sprint(i), batchgate.Budget{Spend: 5, BudgetDuration: "1h", BudgetResetAt: &resetAt})
		}
	}
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		total int
	)
	for _, s := range replicas {
		for range 2 {
			wg.Go(func() {
				n, err := s.ResetBudgets(ctx, now)
				if err != nil {
					t.Errorf("ResetBudgets: %v", err)
				}
				mu.Lock()
				total += n
				mu.Unlock()
			})
		}
	}
	wg.Wait()
	if want := perKind * len(kinds); total != want {
		t.Errorf("concurrent ResetBudgets reset %d budgets in all, want %d", total, want)
	}
	next := resetAt.Add(time.Hour)
	for _, k := range kinds {
		for i := range perKind {
			want := batchgate.Budget{BudgetDuration: "1h", BudgetResetAt: &next}
			got := k.budget(t, fmt.Sprint(i))
			checkEqual(t, fmt.Sprintf("%s %d", k.kind, i), &got, &want)
		}
	}
}
