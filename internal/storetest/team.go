package storetest

import (
	"testing"

	"github.com/batchgate/batchgate"
)

func testTeamRoundTrip(t *testing.T, s batchgate.Store) {
	ctx := t.Context()
	var full batchgate.Team
	fill(t, &full, 1)
	must(t, s.CreateTeam(ctx, &full))
	got, err := s.FindTeamByID(ctx, full.TeamID)
	must(t, err)
	checkEqual(t, "full team", got, &full)

	// Nil pointers, slices and maps stay nil.
	bare := batchgate.Team{TeamID: "bare", CreatedAt: base, UpdatedAt: base}
	must(t, s.CreateTeam(ctx, &bare))
	got, err = s.FindTeamByID(ctx, bare.TeamID)
	must(t, err)
	checkEqual(t, "bare team", got, &bare)

	// Members keep their order, and a member without a role keeps none.
	ordered := batchgate.Team{TeamID: "ordered", CreatedAt: base, UpdatedAt: base, Members: []batchgate.TeamMember{
		{UserID: "u3", Role: "user"}, {UserID: "u1", Role: "admin"}, {UserID: "u2"},
	}}
	must(t, s.CreateTeam(ctx, &ordered))
	got, err = s.FindTeamByID(ctx, ordered.TeamID)
	must(t, err)
	checkEqual(t, "team with ordered members", got, &ordered)
}

func testTeamConflict(t *testing.T, s batchgate.Store) {
	ctx := t.Context()
	var tm batchgate.Team
	fill(t, &tm, 1)
	must(t, s.CreateTeam(ctx, &tm))
	dup := tm
	dup.TeamAlias = "other"
	dup.Members = nil
	checkCode(t, "CreateTeam of an existing id", s.CreateTeam(ctx, &dup), batchgate.ECONFLICT)
	got, err := s.FindTeamByID(ctx, tm.TeamID)
	must(t, err)
	checkEqual(t, "team after conflict", got, &tm)
}

func testTeamNotFound(t *testing.T, s batchgate.Store) {
	ctx := t.Context()
	_, err := s.FindTeamByID(ctx, "missing")
	checkCode(t, "FindTeamByID", err, batchgate.ENOTFOUND)
	tm := batchgate.Team{TeamID: "missing", CreatedAt: base, UpdatedAt: base}
	checkCode(t, "UpdateTeam", s.UpdateTeam(ctx, &tm), batchgate.ENOTFOUND)
	// A key or user of the same id is not a team.
	must(t, s.CreateKey(ctx, &batchgate.Key{ID: "key-missing", Token: "missing", TeamID: "missing", CreatedAt: base, UpdatedAt: base}))
	must(t, s.CreateUser(ctx, &batchgate.User{UserID: "missing", CreatedAt: base, UpdatedAt: base}))
	_, err = s.FindTeamByID(ctx, "missing")
	checkCode(t, "FindTeamByID with a key and user of that id", err, batchgate.ENOTFOUND)
}

func testTeamUpdate(t *testing.T, s batchgate.Store) {
	ctx := t.Context()
	var orig, other batchgate.Team
	fill(t, &orig, 1)
	fill(t, &other, 3)
	other.TeamID = "other"
	must(t, s.CreateTeam(ctx, &orig))
	must(t, s.CreateTeam(ctx, &other))

	// Every field changes, but TeamID, CreatedAt and Spend are kept.
	var upd batchgate.Team
	fill(t, &upd, 2)
	upd.TeamID = orig.TeamID
	must(t, s.UpdateTeam(ctx, &upd))
	want := upd
	want.CreatedAt, want.Spend = orig.CreatedAt, orig.Spend
	got, err := s.FindTeamByID(ctx, orig.TeamID)
	must(t, err)
	checkEqual(t, "updated team", got, &want)

	// Set fields can be cleared.
	clr := batchgate.Team{TeamID: orig.TeamID, CreatedAt: orig.CreatedAt, UpdatedAt: base}
	must(t, s.UpdateTeam(ctx, &clr))
	got, err = s.FindTeamByID(ctx, orig.TeamID)
	must(t, err)
	clr.Spend = orig.Spend
	checkEqual(t, "cleared team", got, &clr)

	got, err = s.FindTeamByID(ctx, other.TeamID)
	must(t, err)
	checkEqual(t, "other team", got, &other)
}
