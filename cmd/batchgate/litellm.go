package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"

	"github.com/batchgate/batchgate/internal/config"
)

// runLiteLLM runs the gateway for LiteLLM's command line, "litellm --config
// config.yaml --port 4000" (flags without a subcommand). It binds as
// litellm's proxy_cli does: --host defaults to HOST, else 0.0.0.0, and
// --port to PORT, else 4000, so that a container command swapped in as-is
// stays reachable from outside the container. (serve keeps its loopback
// default: the local mode prints a master key.)
func runLiteLLM(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	addr, err := liteLLMAddr(getenv)
	if err != nil {
		return err
	}
	// --host, --port and --addr given on the command line come later and win.
	return runServe(ctx, append([]string{"--addr", addr}, args...), getenv, stdout, stderr, nil)
}

// liteLLMAddr is the default listen address of LiteLLM's command line.
func liteLLMAddr(getenv func(string) string) (string, error) {
	host, port := getenv("HOST"), getenv("PORT")
	if host == "" {
		host = "0.0.0.0"
	}
	if port == "" {
		port = "4000"
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return "", fmt.Errorf("PORT %q is not a port number", port)
	}
	return net.JoinHostPort(host, port), nil
}

// setEnvironment applies the config's environment_variables to the process,
// as LiteLLM's proxy does: the AWS SDK's credential chain and region (and
// anything else reading the environment) see them.
func setEnvironment(cfg *config.Config) error {
	for k, v := range cfg.EnvironmentVariables {
		if err := os.Setenv(k, v); err != nil {
			return fmt.Errorf("environment_variables.%s: %w", k, err)
		}
	}
	return nil
}
