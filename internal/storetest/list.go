package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/batchgate/batchgate"
)

// RunLists checks FindUsers and FindTeams: empty at first, then every
// user and team, newest first, with their fields.
func RunLists(t *testing.T, open func(t *testing.T) batchgate.Store) {
	ctx := context.Background()
	s := open(t)
	if us, err := s.FindUsers(ctx); err != nil || len(us) != 0 {
		t.Fatalf("FindUsers on an empty store = %v, %v", us, err)
	}
	if ts, err := s.FindTeams(ctx); err != nil || len(ts) != 0 {
		t.Fatalf("FindTeams on an empty store = %v, %v", ts, err)
	}
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for i, id := range []string{"u-old", "u-new"} {
		at := t0.Add(time.Duration(i) * time.Hour)
		if err := s.CreateUser(ctx, &batchgate.User{UserID: id, UserAlias: "alias " + id, Models: []string{"m"}, CreatedAt: at, UpdatedAt: at}); err != nil {
			t.Fatal(err)
		}
	}
	for i, id := range []string{"t-old", "t-new"} {
		at := t0.Add(time.Duration(i) * time.Hour)
		team := &batchgate.Team{TeamID: id, TeamAlias: "alias " + id, Members: []batchgate.TeamMember{{UserID: "u-old", Role: "admin"}}, CreatedAt: at, UpdatedAt: at}
		if err := s.CreateTeam(ctx, team); err != nil {
			t.Fatal(err)
		}
	}
	us, err := s.FindUsers(ctx)
	if err != nil || len(us) != 2 || us[0].UserID != "u-new" || us[1].UserID != "u-old" || us[1].UserAlias != "alias u-old" || len(us[1].Models) != 1 {
		t.Fatalf("FindUsers = %+v, %v; want u-new then u-old", us, err)
	}
	ts, err := s.FindTeams(ctx)
	if err != nil || len(ts) != 2 || ts[0].TeamID != "t-new" || ts[1].TeamID != "t-old" || len(ts[1].Members) != 1 || ts[1].Members[0].Role != "admin" {
		t.Fatalf("FindTeams = %+v, %v; want t-new then t-old with their member", ts, err)
	}
}
