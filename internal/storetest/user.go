package storetest

import (
	"testing"

	"github.com/batchgate/batchgate"
)

func testUserRoundTrip(t *testing.T, s batchgate.Store) {
	ctx := t.Context()
	var full batchgate.User
	fill(t, &full, 1)
	must(t, s.CreateUser(ctx, &full))
	got, err := s.FindUserByID(ctx, full.UserID)
	must(t, err)
	checkEqual(t, "full user", got, &full)

	// Nil pointers, slices and maps stay nil.
	bare := batchgate.User{UserID: "bare", CreatedAt: base, UpdatedAt: base}
	must(t, s.CreateUser(ctx, &bare))
	got, err = s.FindUserByID(ctx, bare.UserID)
	must(t, err)
	checkEqual(t, "bare user", got, &bare)
}

func testUserConflict(t *testing.T, s batchgate.Store) {
	ctx := t.Context()
	var u batchgate.User
	fill(t, &u, 1)
	must(t, s.CreateUser(ctx, &u))
	dup := u
	dup.UserAlias = "other"
	checkCode(t, "CreateUser of an existing id", s.CreateUser(ctx, &dup), batchgate.ECONFLICT)
	got, err := s.FindUserByID(ctx, u.UserID)
	must(t, err)
	checkEqual(t, "user after conflict", got, &u)
}

func testUserNotFound(t *testing.T, s batchgate.Store) {
	ctx := t.Context()
	_, err := s.FindUserByID(ctx, "missing")
	checkCode(t, "FindUserByID", err, batchgate.ENOTFOUND)
	u := batchgate.User{UserID: "missing", CreatedAt: base, UpdatedAt: base}
	checkCode(t, "UpdateUser", s.UpdateUser(ctx, &u), batchgate.ENOTFOUND)
	// A key or team of the same id is not a user.
	must(t, s.CreateKey(ctx, &batchgate.Key{ID: "key-missing", Token: "missing", UserID: "missing", CreatedAt: base, UpdatedAt: base}))
	must(t, s.CreateTeam(ctx, &batchgate.Team{TeamID: "missing", CreatedAt: base, UpdatedAt: base}))
	_, err = s.FindUserByID(ctx, "missing")
	checkCode(t, "FindUserByID with a key and team of that id", err, batchgate.ENOTFOUND)
}

func testUserUpdate(t *testing.T, s batchgate.Store) {
	ctx := t.Context()
	var orig, other batchgate.User
	fill(t, &orig, 1)
	fill(t, &other, 3)
	other.UserID = "other"
	must(t, s.CreateUser(ctx, &orig))
	must(t, s.CreateUser(ctx, &other))

	// Every field changes, but UserID, CreatedAt and Spend are kept.
	var upd batchgate.User
	fill(t, &upd, 2)
	upd.UserID = orig.UserID
	must(t, s.UpdateUser(ctx, &upd))
	want := upd
	want.CreatedAt, want.Spend = orig.CreatedAt, orig.Spend
	got, err := s.FindUserByID(ctx, orig.UserID)
	must(t, err)
	checkEqual(t, "updated user", got, &want)

	// Set fields can be cleared.
	clr := batchgate.User{UserID: orig.UserID, CreatedAt: orig.CreatedAt, UpdatedAt: base}
	must(t, s.UpdateUser(ctx, &clr))
	got, err = s.FindUserByID(ctx, orig.UserID)
	must(t, err)
	clr.Spend = orig.Spend
	checkEqual(t, "cleared user", got, &clr)

	got, err = s.FindUserByID(ctx, other.UserID)
	must(t, err)
	checkEqual(t, "other user", got, &other)
}
