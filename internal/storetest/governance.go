package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/batchgate/batchgate"
)

// testBatchStaleWriters writes stale copies of a batch over fresher ones, as
// a cancel request racing the reconciler does: the job ARN, the cancel and
// the cancel time survive.
func testBatchStaleWriters(t *testing.T, s batchgate.Store) {
	ctx := t.Context()
	b := batchgate.Batch{ID: "batch-stale", Status: batchgate.StatusValidating, Owner: ownerA, Reserved: 3, CreatedAt: base, UpdatedAt: base}
	must(t, s.CreateBatch(ctx, &b))
	stale := b // the copy a cancel request read

	// The reconciler submits the job.
	fresh := b
	fresh.JobARN, fresh.JobStatus, fresh.UpdatedAt = "arn:job/1", "Submitted", base.Add(time.Second)
	must(t, s.UpdateBatch(ctx, &fresh))

	// The cancel writes its copy, which has no job: the ARN stays.
	cancelAt := base.Add(2 * time.Second)
	stale.Status, stale.CancellingAt, stale.UpdatedAt = batchgate.StatusCancelling, &cancelAt, cancelAt
	must(t, s.UpdateBatch(ctx, &stale))
	got, err := s.FindBatchByID(ctx, b.ID)
	must(t, err)
	if got.JobARN != "arn:job/1" || got.JobStatus != "Submitted" || got.Status != batchgate.StatusCancelling {
		t.Errorf("after a stale cancel: JobARN %q, JobStatus %q, Status %q; want arn:job/1, Submitted, cancelling", got.JobARN, got.JobStatus, got.Status)
	}

	// The reconciler writes its copy from before the cancel: still cancelling.
	fresh.Status, fresh.JobStatus, fresh.UpdatedAt = batchgate.StatusInProgress, "InProgress", base.Add(3*time.Second)
	must(t, s.UpdateBatch(ctx, &fresh))
	got, err = s.FindBatchByID(ctx, b.ID)
	must(t, err)
	if got.Status != batchgate.StatusCancelling || got.CancellingAt == nil || !sameTime(*got.CancellingAt, cancelAt) || got.JobStatus != "InProgress" {
		t.Errorf("after a stale in_progress: Status %q, CancellingAt %v, JobStatus %q; want cancelling, %v, InProgress", got.Status, got.CancellingAt, got.JobStatus, cancelAt)
	}
	// A different ARN never replaces the job's.
	fresh.JobARN = "arn:job/other"
	must(t, s.UpdateBatch(ctx, &fresh))
	if got, _ = s.FindBatchByID(ctx, b.ID); got.JobARN != "arn:job/1" {
		t.Errorf("JobARN = %q after a write of another ARN, want arn:job/1", got.JobARN)
	}

	// The job ends: a terminal status replaces cancelling.
	fresh.Status, fresh.CancelledAt = batchgate.StatusCancelled, &cancelAt
	must(t, s.UpdateBatch(ctx, &fresh))
	if got, _ = s.FindBatchByID(ctx, b.ID); got.Status != batchgate.StatusCancelled {
		t.Errorf("Status = %q after the job stopped, want cancelled", got.Status)
	}
}

// testBatchTerminalIsFinal: once a batch has ended, no write changes it.
func testBatchTerminalIsFinal(t *testing.T, s batchgate.Store) {
	ctx := t.Context()
	for _, st := range []string{batchgate.StatusCompleted, batchgate.StatusFailed, batchgate.StatusExpired, batchgate.StatusCancelled} {
		b := batchgate.Batch{ID: "batch-" + st, Status: batchgate.StatusInProgress, JobARN: "arn:" + st, CreatedAt: base, UpdatedAt: base}
		must(t, s.CreateBatch(ctx, &b))
		b.Status, b.Usage, b.Cost, b.OutputFileID = st, batchgate.Usage{InputTokens: 7, OutputTokens: 9}, 1.5, "file-out"
		must(t, s.UpdateBatch(ctx, &b))
		final, err := s.FindBatchByID(ctx, b.ID)
		must(t, err)

		for _, late := range []string{batchgate.StatusCancelling, batchgate.StatusInProgress, batchgate.StatusCompleted, batchgate.StatusCancelled} {
			w := b
			w.Status, w.Usage, w.Cost, w.OutputFileID, w.UpdatedAt = late, batchgate.Usage{}, 0, "", base.Add(time.Hour)
			checkCode(t, fmt.Sprintf("UpdateBatch(%s) of a %s batch", late, st), s.UpdateBatch(ctx, &w), batchgate.ECONFLICT)
		}
		got, err := s.FindBatchByID(ctx, b.ID)
		must(t, err)
		checkEqual(t, st+" batch after late writes", got, final)
	}
}

// testRecordSpendReplacesReservation: billing a batch sets its cost and
// drops its reservation in the same transaction, and stale copies of the
// batch put neither back.
func testRecordSpendReplacesReservation(t *testing.T, s batchgate.Store) {
	ctx := t.Context()
	key, user, team := budgetedKinds(s)
	key.create(t, ownerA.KeyID, batchgate.Budget{})
	user.create(t, ownerA.UserID, batchgate.Budget{})
	team.create(t, ownerA.TeamID, batchgate.Budget{})
	b := batchgate.Batch{ID: "batch-r", Status: batchgate.StatusInProgress, Owner: ownerA, Reserved: 8, CreatedAt: base, UpdatedAt: base}
	must(t, s.CreateBatch(ctx, &b))
	stale := b

	billed, err := s.RecordSpend(ctx, &batchgate.SpendLog{BatchID: b.ID, Owner: ownerA, Usage: batchgate.Usage{InputTokens: 1}, Cost: 2, CreatedAt: base})
	must(t, err)
	if !billed {
		t.Fatal("RecordSpend of a new batch reported it billed already")
	}
	check := func(when string) {
		t.Helper()
		got, err := s.FindBatchByID(ctx, b.ID)
		must(t, err)
		if got.Reserved != 0 || got.Cost != 2 {
			t.Errorf("%s: Reserved %v, Cost %v; want 0, 2", when, got.Reserved, got.Cost)
		}
		k, u, tm, err := s.ReservedSpend(ctx, ownerA)
		must(t, err)
		if k != 0 || u != 0 || tm != 0 {
			t.Errorf("%s: ReservedSpend = %v, %v, %v; want 0s (the batch is billed)", when, k, u, tm)
		}
		key.checkSpend(t, ownerA.KeyID, 2)
		user.checkSpend(t, ownerA.UserID, 2)
		team.checkSpend(t, ownerA.TeamID, 2)
	}
	check("after RecordSpend")
	// A copy from before the billing is written back (a replica that lost its lease).
	stale.UpdatedAt = base.Add(time.Minute)
	must(t, s.UpdateBatch(ctx, &stale))
	check("after a stale write")
	// Billing again changes nothing.
	if again, err := s.RecordSpend(ctx, &batchgate.SpendLog{BatchID: b.ID, Owner: ownerA, Cost: 5, CreatedAt: base}); err != nil || again {
		t.Errorf("second RecordSpend = %v, %v; want false, nil", again, err)
	}
	check("after a second RecordSpend")
}

// testStaleUpdateKeepsReset: an admin update from a copy read before
// ResetBudgets ran neither undoes the reset's new BudgetResetAt nor the
// spend; a new BudgetDuration does set it.
func testStaleUpdateKeepsReset(t *testing.T, s batchgate.Store) {
	ctx := t.Context()
	resetAt := base.Add(time.Hour)
	now := base.Add(90 * time.Minute)
	next := base.Add(2 * time.Hour)
	budget := batchgate.Budget{Spend: 4, BudgetDuration: "1h", BudgetResetAt: &resetAt}
	must(t, s.CreateKey(ctx, &batchgate.Key{ID: "k", Token: keyToken("k"), Budget: budget, CreatedAt: base, UpdatedAt: base}))
	must(t, s.CreateUser(ctx, &batchgate.User{UserID: "u", Budget: budget, CreatedAt: base, UpdatedAt: base}))
	must(t, s.CreateTeam(ctx, &batchgate.Team{TeamID: "t", Budget: budget, CreatedAt: base, UpdatedAt: base}))
	k, err := s.FindKeyByToken(ctx, keyToken("k"))
	must(t, err)
	u, err := s.FindUserByID(ctx, "u")
	must(t, err)
	tm, err := s.FindTeamByID(ctx, "t")
	must(t, err)

	n, err := s.ResetBudgets(ctx, now)
	must(t, err)
	if n != 3 {
		t.Fatalf("ResetBudgets reset %d, want 3", n)
	}
	five := 5.0
	k.MaxBudget, u.MaxBudget, tm.MaxBudget = &five, &five, &five
	must(t, s.UpdateKey(ctx, k))
	must(t, s.UpdateUser(ctx, u))
	must(t, s.UpdateTeam(ctx, tm))
	key, user, team := budgetedKinds(s)
	for _, b := range []struct {
		budgeted
		id string
	}{{key, "k"}, {user, "u"}, {team, "t"}} {
		want := batchgate.Budget{MaxBudget: &five, BudgetDuration: "1h", BudgetResetAt: &next}
		got := b.budget(t, b.id)
		checkEqual(t, b.kind+" after a stale update", &got, &want)
		if n, _ := s.ResetBudgets(ctx, now); n != 0 {
			t.Errorf("%s: a stale update made ResetBudgets reset again (%d)", b.kind, n)
		}
	}

	// A new duration starts a new period at the given time.
	later := base.Add(24 * time.Hour)
	k.BudgetDuration, k.BudgetResetAt = "1d", &later
	must(t, s.UpdateKey(ctx, k))
	if got := key.budget(t, "k"); got.BudgetDuration != "1d" || got.BudgetResetAt == nil || !sameTime(*got.BudgetResetAt, later) {
		t.Errorf("key after a new duration: %+v, want 1d until %v", got, later)
	}
}

// testReplicasStaleWriters races, from every replica, writers of stale
// copies (cancels, progress, settlements) against one batch: one bill, the
// job ARN kept, the batch ends completed with its billed cost, and every
// write refused is refused as ECONFLICT.
func testReplicasStaleWriters(t *testing.T, replicas []batchgate.Store) {
	ctx := t.Context()
	s := replicas[0]
	key, user, team := budgetedKinds(s)
	key.create(t, ownerA.KeyID, batchgate.Budget{})
	user.create(t, ownerA.UserID, batchgate.Budget{})
	team.create(t, ownerA.TeamID, batchgate.Budget{})
	b := batchgate.Batch{ID: "batch-race", Status: batchgate.StatusValidating, Owner: ownerA, Reserved: 100, CreatedAt: base, UpdatedAt: base}
	must(t, s.CreateBatch(ctx, &b))
	submitted := b
	submitted.JobARN, submitted.JobStatus = "arn:job/race", "Submitted"
	must(t, s.UpdateBatch(ctx, &submitted))

	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		billed int
	)
	for i, r := range append(replicas, replicas...) {
		wg.Go(func() { // a cancel from a copy read before the job was submitted
			w := b
			at := base.Add(time.Duration(i+1) * time.Second)
			w.Status, w.CancellingAt = batchgate.StatusCancelling, &at
			if err := r.UpdateBatch(ctx, &w); err != nil && batchgate.ErrorCode(err) != batchgate.ECONFLICT {
				t.Errorf("cancel: %v", err)
			}
		})
		wg.Go(func() { // progress from the reconciler
			w := submitted
			w.Status, w.JobStatus = batchgate.StatusInProgress, "InProgress"
			if err := r.UpdateBatch(ctx, &w); err != nil && batchgate.ErrorCode(err) != batchgate.ECONFLICT {
				t.Errorf("progress: %v", err)
			}
		})
		wg.Go(func() { // settlement by whichever replica saw the job end
			ok, err := r.RecordSpend(ctx, &batchgate.SpendLog{BatchID: b.ID, Owner: ownerA, Usage: batchgate.Usage{InputTokens: 10, OutputTokens: 5}, Cost: 1.25, CreatedAt: base})
			if err != nil {
				t.Errorf("RecordSpend: %v", err)
				return
			}
			mu.Lock()
			if ok {
				billed++
			}
			mu.Unlock()
			w := submitted
			w.Status, w.JobStatus, w.Usage, w.Cost = batchgate.StatusCompleted, "Completed", batchgate.Usage{InputTokens: 10, OutputTokens: 5}, 1.25
			if err := r.UpdateBatch(ctx, &w); err != nil && batchgate.ErrorCode(err) != batchgate.ECONFLICT {
				t.Errorf("settle: %v", err)
			}
		})
	}
	wg.Wait()
	if billed != 1 {
		t.Errorf("billed %d times, want once", billed)
	}
	got, err := s.FindBatchByID(ctx, b.ID)
	must(t, err)
	if got.Status != batchgate.StatusCompleted || got.JobARN != "arn:job/race" || got.Cost != 1.25 || got.Reserved != 0 || got.Usage.InputTokens != 10 {
		t.Errorf("batch after the race: status %s, JobARN %q, cost %v, reserved %v, usage %+v", got.Status, got.JobARN, got.Cost, got.Reserved, got.Usage)
	}
	key.checkSpend(t, ownerA.KeyID, 1.25)
	user.checkSpend(t, ownerA.UserID, 1.25)
	team.checkSpend(t, ownerA.TeamID, 1.25)
}
