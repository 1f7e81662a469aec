package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/batchgate/batchgate/internal/gateway"
)

// replicaID returns the name this gateway holds batch leases under: the
// flag's, else the one kept in the data directory (created on first start).
// A gateway restarted on its data directory is the same replica, so it takes
// up the batches it leased at once instead of waiting for the leases to end.
// Replicas must not share a data directory (or must be given distinct
// --replica-id values).
func replicaID(flag, dataDir string) (string, error) {
	if flag != "" {
		return flag, nil
	}
	path := filepath.Join(dataDir, "replica_id")
	if b, err := os.ReadFile(path); err == nil && strings.TrimSpace(string(b)) != "" {
		return strings.TrimSpace(string(b)), nil
	}
	id := gateway.NewID("replica-")
	if err := os.WriteFile(path, []byte(id+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("write replica id: %w", err)
	}
	return id, nil
}
