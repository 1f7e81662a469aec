package httpapi_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/batchgate/batchgate"
	"github.com/batchgate/batchgate/internal/gateway"
	"github.com/batchgate/batchgate/internal/httpapi"
	"github.com/batchgate/batchgate/internal/postgres"
	"github.com/batchgate/batchgate/internal/testenv"
)

// slowTeamRead widens member_add's read-modify-write: a team read takes a
// while, so that updates not excluded from each other read the same members
// and each drops the other's.
type slowTeamRead struct{ batchgate.Store }

func (s slowTeamRead) FindTeamByID(ctx context.Context, id string) (*batchgate.Team, error) {
	time.Sleep(10 * time.Millisecond)
	return s.Store.FindTeamByID(ctx, id)
}

// TestConcurrentMemberAddReplicasPostgres: member_add and user/new calls
// spread over two servers, each with its own PostgreSQL store on one
// database (two replicas), all add their member to one team: none is lost.
func TestConcurrentMemberAddReplicasPostgres(t *testing.T) {
	dsn := testenv.FreshPostgres(t)
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	var envs [2]*env
	for i := range envs {
		store, err := postgres.Open(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { store.Close() })
		gw := gateway.New(slowTeamRead{store}, nil, log)
		srv := httptest.NewServer((&httpapi.Server{Gateway: gw, MasterKey: master, Log: log, Version: "test", MaxUploadBytes: 1 << 20}).Handler())
		t.Cleanup(srv.Close)
		envs[i] = &env{t: t, url: srv.URL, gw: gw}
	}
	envs[0].ok(master, "POST", "/team/new", map[string]any{"team_id": "t-replicas"}, nil)
	const n = 12
	var want []string
	var wg sync.WaitGroup
	for i := range n {
		id := fmt.Sprintf("u-%02d", i)
		want = append(want, id)
		e := envs[i%2]
		wg.Go(func() {
			if i%3 == 2 {
				e.ok(master, "POST", "/user/new", map[string]any{"user_id": id, "teams": []string{"t-replicas"}, "auto_create_key": false}, nil)
			} else {
				e.ok(master, "POST", "/team/member_add", map[string]any{"team_id": "t-replicas", "member": map[string]any{"user_id": id}}, nil)
			}
		})
	}
	wg.Wait()
	var ti struct {
		TeamInfo struct {
			MembersWithRoles []struct {
				UserID string `json:"user_id"`
			} `json:"members_with_roles"`
		} `json:"team_info"`
	}
	envs[1].ok(master, "GET", "/team/info?team_id=t-replicas", nil, &ti)
	var got []string
	for _, m := range ti.TeamInfo.MembersWithRoles {
		got = append(got, m.UserID)
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("members %q, want %q", got, want)
	}
}
