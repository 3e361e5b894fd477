package telegram

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gotd/td/session"
	"github.com/stretchr/testify/require"
)

func TestFileStorage(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "sessions")
	require.NoError(t, ensureSessionDir(dir))

	path, err := findSession(dir, 1, "h", "9996621234", "one")
	require.NoError(t, err)
	s := &fileStorage{path: path, label: "one"}
	_, err = s.LoadSession(ctx)
	require.ErrorIs(t, err, session.ErrNotFound)

	require.NoError(t, s.StoreSession(ctx, []byte(`{"Version":1}`)))
	got, err := s.LoadSession(ctx)
	require.NoError(t, err)
	require.JSONEq(t, `{"Version":1}`, string(got))
	st, err := os.Stat(path)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), st.Mode().Perm())

	// A login mark and a new label survive the next store.
	s.label = "renamed"
	require.NoError(t, s.update(func(f *sessionFile) { f.LoggedIn = f.LoggedIn.AddDate(2024, 0, 0) }))
	require.NoError(t, s.StoreSession(ctx, []byte(`{"Version":2}`)))
	list, err := ListSessions(dir)
	require.NoError(t, err)
	require.Len(t, list, 1)
	require.Equal(t, "renamed", list[0].Label)
	require.False(t, list[0].LoggedIn.IsZero())
	require.Equal(t, path, list[0].Path)

	// Labels select accounts: found by label, refused for another phone.
	byLabel, err := findSession(dir, 1, "h", "", "renamed")
	require.NoError(t, err)
	require.Equal(t, path, byLabel)
	_, err = findSession(dir, 1, "h", "9996620000", "renamed")
	require.ErrorContains(t, err, "already used")
	_, err = findSession(dir, 1, "h", "", "nobody")
	require.ErrorIs(t, err, ErrAuthRequired)

	// No temporary files are left behind.
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, entries, 1)
}

func TestSessionDirMode(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "open")
	require.NoError(t, os.Mkdir(dir, 0o755))
	require.NoError(t, os.Chmod(dir, 0o755))
	require.NoError(t, ensureSessionDir(dir))
	st, err := os.Stat(dir)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o700), st.Mode().Perm())
}

func TestListSessions(t *testing.T) {
	list, err := ListSessions(filepath.Join(t.TempDir(), "missing"))
	require.NoError(t, err)
	require.Empty(t, list)

	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("x"), 0o600))
	require.NoError(t, writeSessionFile(filepath.Join(dir, "b.session"), &sessionFile{Label: "b"}))
	require.NoError(t, writeSessionFile(filepath.Join(dir, "a.session"), &sessionFile{Label: "a"}))
	list, err = ListSessions(dir)
	require.NoError(t, err)
	require.Equal(t, []string{"a", "b"}, []string{list[0].Label, list[1].Label})

	require.NoError(t, os.WriteFile(filepath.Join(dir, "c.session"), []byte("secret garbage"), 0o600))
	_, err = ListSessions(dir)
	require.EqualError(t, err, "read session c.session: not a session file")
}

func TestNormalizePhone(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		ok       bool
	}{
		{"+99966 2 1234", "9996621234", true},
		{"+1 (555) 010-0123", "15550100123", true},
		{"9996621234", "9996621234", true},
		{"  +44.20.7946.0958 ", "442079460958", true},
		{"12ab", "", false},
		{"123", "", false},
		{"0123456789", "", false},
		{"1234567890123456", "", false},
		{"99+9", "", false},
	} {
		got, ok := NormalizePhone(tc.in)
		require.Equal(t, tc.ok, ok, tc.in)
		require.Equal(t, tc.want, got, tc.in)
	}
}

func TestSessionID(t *testing.T) {
	a := sessionID(17, "hash", "9996621234")
	require.Len(t, a, 32)
	require.Equal(t, a, sessionID(17, "hash", "9996621234"), "stable")
	require.NotEqual(t, a, sessionID(17, "other", "9996621234"), "keyed by the app")
	require.NotEqual(t, a, sessionID(18, "hash", "9996621234"))
	require.NotEqual(t, a, sessionID(17, "hash", "9996621235"))
}

func TestValidLabel(t *testing.T) {
	for _, ok := range []string{"acc1", "A", "main-2.b_c"} {
		require.True(t, ValidLabel(ok), ok)
	}
	for _, bad := range []string{"", "-x", "a b", "a/b", strings.Repeat("a", 65), "+999"} {
		require.False(t, ValidLabel(bad), bad)
	}
}
