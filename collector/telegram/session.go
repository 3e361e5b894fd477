package telegram

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gotd/td/session"
)

// Sessions are files in Options.SessionDir, one per account, named by a keyed
// hash of the phone number (so that neither a listing of the folder nor a log
// line naming a file gives the number away) and holding the label, the time of
// the last confirmed login, and gotd's session (the auth key: whoever has it is
// logged in as the account, hence mode 0600 in a 0700 folder).

// sessionExt ends every session file's name.
const sessionExt = ".session"

// sessionFile is a session file's content.
type sessionFile struct {
	Label    string          `json:"label"`
	LoggedIn time.Time       `json:"logged_in,omitzero"`
	Session  json.RawMessage `json:"session,omitempty"`
}

// StoredSession describes one session file, without anything secret in it.
type StoredSession struct {
	// Label names the account in logs, metrics and `tidewatch login --label`.
	Label string
	// ID is the file's name without its extension: a keyed hash of the phone.
	ID string
	// LoggedIn is when a login was last confirmed; zero when the session holds
	// an auth key but the account never finished logging in with it.
	LoggedIn time.Time
	// Path is the session file.
	Path string
}

// labelPattern is what a label may look like: it appears in logs, metric labels
// and file listings, so it is kept plain.
var labelPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)

// ValidLabel reports whether s can name an account: 1 to 64 letters, digits,
// '_', '.' or '-', starting with a letter or digit.
func ValidLabel(s string) bool { return labelPattern.MatchString(s) }

// NormalizePhone returns the digits of an international phone number written
// with or without '+', spaces, dashes, dots or parentheses; ok is false when it
// does not look like one (E.164: at most 15 digits).
func NormalizePhone(phone string) (digits string, ok bool) {
	var b strings.Builder
	for i, r := range strings.TrimSpace(phone) {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == '+' && i == 0, r == ' ', r == '-', r == '.', r == '(', r == ')':
		default:
			return "", false
		}
	}
	d := b.String()
	if len(d) < 5 || len(d) > 15 || d[0] == '0' {
		return "", false
	}
	return d, true
}

// sessionID is the file name (without extension) of the session of phone (as
// digits) for the app (apiID, apiHash). The hash is keyed with the app's secret:
// an unkeyed hash of a phone number is undone by trying all numbers.
func sessionID(apiID int, apiHash, digits string) string {
	mac := hmac.New(sha256.New, []byte("tidewatch session\x00"+strconv.Itoa(apiID)+"\x00"+apiHash))
	mac.Write([]byte(digits))
	return hex.EncodeToString(mac.Sum(nil)[:16])
}

// ensureSessionDir creates dir with mode 0700, and narrows an existing one to
// 0700: it holds nothing but auth keys.
func ensureSessionDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("session folder: %w", err)
	}
	st, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("session folder: %w", err)
	}
	if st.Mode().Perm()&0o077 != 0 {
		if err := os.Chmod(dir, 0o700); err != nil {
			return fmt.Errorf("session folder: %w", err)
		}
	}
	return nil
}

// ListSessions returns the sessions stored in dir, sorted by label. A missing
// folder holds no sessions.
func ListSessions(dir string) ([]StoredSession, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list sessions: %w", err)
	}
	var out []StoredSession
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, sessionExt) {
			continue
		}
		path := filepath.Join(dir, name)
		f, err := readSessionFile(path)
		if err != nil {
			return nil, err
		}
		out = append(out, StoredSession{
			Label:    f.Label,
			ID:       strings.TrimSuffix(name, sessionExt),
			LoggedIn: f.LoggedIn,
			Path:     path,
		})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Label < out[j].Label })
	return out, nil
}

// readSessionFile reads and decodes a session file. Errors name the file (a hash)
// but never its content.
func readSessionFile(path string) (*sessionFile, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read session: %w", err)
	}
	var f sessionFile
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("read session %s: not a session file", filepath.Base(path))
	}
	return &f, nil
}

// writeSessionFile replaces path atomically with f, mode 0600: a crash leaves
// the old or the new session, never half of one.
func writeSessionFile(path string, f *sessionFile) error {
	data, err := json.Marshal(f)
	if err != nil {
		return fmt.Errorf("encode session: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".session-*") // mode 0600
	if err != nil {
		return fmt.Errorf("write session: %w", err)
	}
	_, werr := tmp.Write(data)
	if werr == nil {
		werr = tmp.Sync()
	}
	if err := errors.Join(werr, tmp.Close()); err != nil {
		return errors.Join(fmt.Errorf("write session: %w", err), os.Remove(tmp.Name()))
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return errors.Join(fmt.Errorf("write session: %w", err), os.Remove(tmp.Name()))
	}
	return nil
}

// fileStorage is gotd's session storage backed by one session file. gotd saves
// the session whenever it (re)connects; the label and login time are kept.
type fileStorage struct {
	path  string
	label string
	mu    sync.Mutex
}

// LoadSession implements gotd's session.Storage.
func (s *fileStorage) LoadSession(context.Context) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, err := readSessionFile(s.path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, session.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	if len(f.Session) == 0 {
		return nil, session.ErrNotFound
	}
	return f.Session, nil
}

// StoreSession implements gotd's session.Storage.
func (s *fileStorage) StoreSession(_ context.Context, data []byte) error {
	return s.update(func(f *sessionFile) { f.Session = append(json.RawMessage(nil), data...) })
}

// update applies change to the file's content (or to a new one) and writes it.
func (s *fileStorage) update(change func(*sessionFile)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, err := readSessionFile(s.path)
	if errors.Is(err, fs.ErrNotExist) {
		f, err = &sessionFile{}, nil
	}
	if err != nil {
		return err
	}
	f.Label = s.label
	change(f)
	return writeSessionFile(s.path, f)
}

// findSession locates the session file for an account: by phone when one is
// given (the file may not exist yet), else by label. It also refuses a label
// that another phone's session already uses, since labels select accounts.
func findSession(dir string, apiID int, apiHash, digits, label string) (path string, err error) {
	sessions, err := ListSessions(dir)
	if err != nil {
		return "", err
	}
	if digits == "" {
		for _, s := range sessions {
			if s.Label == label {
				return s.Path, nil
			}
		}
		return "", fmt.Errorf("%w: no session stored for account %q", ErrAuthRequired, label)
	}
	id := sessionID(apiID, apiHash, digits)
	for _, s := range sessions {
		if s.Label == label && s.ID != id {
			return "", fmt.Errorf("label %q is already used by another account's session", label)
		}
	}
	return filepath.Join(dir, id+sessionExt), nil
}
