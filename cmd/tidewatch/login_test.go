package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"github.com/stretchr/testify/require"

	"github.com/tidewatch/tidewatch/cmd/tidewatch/internal/config"
	"github.com/tidewatch/tidewatch/collector/tgsim"
	"github.com/tidewatch/tidewatch/collector/tgsim/world"
)

const (
	loginAPIHash  = "0123456789abcdef0123456789abcdef"
	loginTwoFA    = "9996629999"
	loginPassword = "correct horse"
)

var loginWorld = sync.OnceValues(func() (*world.World, error) {
	return world.Generate(world.DefaultSpec(10), 3)
})

// startLoginSim starts the simulator and writes tidewatch.yaml (in the test's
// folder) pointing at it.
func startLoginSim(t *testing.T) *tgsim.Server {
	t.Helper()
	w, err := loginWorld()
	require.NoError(t, err)
	s, err := tgsim.New(tgsim.Options{World: w, Limits: tgsim.Limits{Off: true},
		Passwords: map[string]string{loginTwoFA: loginPassword}})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	require.NoError(t, s.Start(ctx, "127.0.0.1:0"))
	t.Cleanup(func() {
		cancel()
		require.NoError(t, s.Close())
	})
	require.NoError(t, os.WriteFile("sim.pem", s.PublicKeyPEM(), 0o600))
	require.NoError(t, os.WriteFile(config.DefaultFile, []byte(`telegram:
  api_id: 17
  dc: 2
  dc_addr: `+s.Addr()+`
  public_key_file: sim.pem
`), 0o600))
	t.Setenv(config.EnvName("telegram.api_hash"), loginAPIHash)
	return s
}

// runTelegramCmd runs the CLI with the login and accounts commands, whether or
// not the root command lists them yet.
func runTelegramCmd(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	a := &app{stdout: &out, stderr: &errOut}
	root := newRootCmd(a)
	for _, c := range []*cobra.Command{newLoginCmd(a), newAccountsCmd(a)} {
		if found, _, err := root.Find([]string{c.Name()}); err != nil || found == root {
			root.AddCommand(c)
		}
	}
	root.SetArgs(args)
	ctx := context.Background()
	err := root.ExecuteContext(ctx)
	if err != nil {
		errOut.WriteString(err.Error() + "\n")
	}
	return exitCode(ctx, err), out.String(), errOut.String()
}

// loadEnv loads the configuration of the test's folder as a command would.
func loadEnv(t *testing.T, stdout, stderr *bytes.Buffer) *cmdEnv {
	t.Helper()
	loaded, err := config.Load(config.LoadOptions{})
	require.NoError(t, err)
	return &cmdEnv{Config: loaded.Config, Log: newLogger(loaded.Config.Log, stderr), Stdout: stdout, Stderr: stderr}
}

func TestLoginCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("logs in to the simulated Telegram")
	}
	isolate(t)
	s := startLoginSim(t)

	code, stdout, stderr := runTelegramCmd(t, "login", "--phone", "+999 66 2 1234", "--label", "demo", "--code", "22222")
	require.Equal(t, 0, code, stderr)
	require.Equal(t, "demo is logged in\n", stdout)
	require.Equal(t, 1, s.CallCount("auth.signIn"))

	// Again, by label only: the stored session is still logged in.
	code, stdout, stderr = runTelegramCmd(t, "login", "--label", "demo")
	require.Equal(t, 0, code, stderr)
	require.Equal(t, "demo is logged in\n", stdout)
	require.Equal(t, 1, s.CallCount("auth.sendCode"), "no new login")

	code, stdout, stderr = runTelegramCmd(t, "login", "--phone", "+9996621235", "--label", "wrong", "--code", "11111")
	require.Equal(t, 1, code)
	require.Contains(t, stderr, "login code invalid")
	require.Empty(t, stdout)

	code, _, stderr = runTelegramCmd(t, "login", "--phone", "+9996621236", "--label", "no good", "--code", "22222")
	require.Equal(t, 2, code)
	require.Contains(t, stderr, `--label "no good"`)

	code, stdout, stderr = runTelegramCmd(t, "accounts", "list", "--telegram-accounts", "demo,ghost")
	require.Equal(t, 0, code, stderr)
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	require.Len(t, lines, 3, stdout) // demo, and "wrong" whose login failed
	require.Regexp(t, `^LABEL\s+LOGGED IN\s+SESSION\s+COLLECTS$`, lines[0])
	require.Regexp(t, `^demo\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\s+[0-9a-f]{32}\s+yes$`, lines[1])
	require.Regexp(t, `^wrong\s+never\s+[0-9a-f]{32}\s+no$`, lines[2])
	require.Contains(t, stderr, "telegram.accounts names an account with no stored session")
	require.Contains(t, stderr, "account=ghost")

	for _, out := range []string{stdout, stderr} {
		require.NotContains(t, out, "1234")
		require.NotContains(t, out, loginAPIHash)
	}
	entries, err := os.ReadDir(filepath.Join(".tidewatch", "sessions"))
	require.NoError(t, err)
	for _, e := range entries {
		require.NotContains(t, e.Name(), "9996621234")
	}
}

func TestLoginPrompts(t *testing.T) {
	if testing.Short() {
		t.Skip("logs in to the simulated Telegram")
	}
	isolate(t)
	startLoginSim(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	t.Run("phone and code from piped input", func(t *testing.T) {
		var stdout, stderr bytes.Buffer
		err := loginRun(ctx, loginOptions{Env: loadEnv(t, &stdout, &stderr), Label: "piped",
			In: strings.NewReader("+9996621240\n22222\n"), Terminal: -1})
		require.NoError(t, err)
		require.Equal(t, "piped is logged in\n", stdout.String())
		require.Contains(t, stderr.String(), "Phone number (international format): ")
		require.Contains(t, stderr.String(), "Login code (sent to your Telegram apps): ")
		require.NotContains(t, stderr.String(), "2FA password")
	})

	t.Run("2FA password from piped input", func(t *testing.T) {
		var stdout, stderr bytes.Buffer
		env := loadEnv(t, &stdout, &stderr)
		err := loginRun(ctx, loginOptions{Env: env, Phone: loginTwoFA, Label: "guarded", Code: "22222",
			In: strings.NewReader(""), Terminal: -1})
		require.ErrorContains(t, err, "2FA password required: run 'tidewatch login' on a terminal")

		err = loginRun(ctx, loginOptions{Env: env, Phone: loginTwoFA, Label: "guarded", Code: "22222",
			In: strings.NewReader(loginPassword + "\n"), Terminal: -1})
		require.NoError(t, err)
		require.Contains(t, stdout.String(), "guarded is logged in\n")
		require.NotContains(t, stderr.String(), loginPassword)
	})

	t.Run("no api hash", func(t *testing.T) {
		t.Setenv(config.EnvName("telegram.api_hash"), "")
		require.NoError(t, os.WriteFile(config.DefaultFile, []byte("telegram:\n  dc: 2\n"), 0o600))
		code, _, stderr := runTelegramCmd(t, "login", "--phone", "+9996621241", "--code", "22222")
		require.Equal(t, 1, code)
		require.Contains(t, stderr, "telegram.api_id and telegram.api_hash are not configured")
	})
}

func TestTelegramCommandsHelp(t *testing.T) {
	isolate(t)
	for _, args := range [][]string{{"login", "--help"}, {"accounts", "--help"}, {"accounts", "list", "--help"}} {
		code, stdout, stderr := runTelegramCmd(t, args...)
		require.Equal(t, 0, code, stderr)
		require.Contains(t, stdout, "Examples:\n  ", args)
	}
	code, stdout, _ := runTelegramCmd(t, "accounts", "list")
	require.Equal(t, 0, code)
	require.Contains(t, stdout, "no sessions in .tidewatch/sessions: log in with 'tidewatch login'")
}
