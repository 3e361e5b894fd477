package report

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
)

// chromiumPath is the browser the test renders with (Debian's chromium package);
// TIDEWATCH_CHROMIUM overrides it.
func chromiumPath(t *testing.T) string {
	if p := os.Getenv("TIDEWATCH_CHROMIUM"); p != "" {
		return p
	}
	p, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatalf("chromium is needed to render the report (apt-get install -y chromium, or make deps): %v", err)
	}
	return p
}

// artifactDir is where the screenshot goes: TIDEWATCH_TEST_ARTIFACTS if set, else the
// test's temporary folder.
func artifactDir(t *testing.T) string {
	if d := os.Getenv("TIDEWATCH_TEST_ARTIFACTS"); d != "" {
		require.NoError(t, os.MkdirAll(d, 0o755))
		return d
	}
	return t.TempDir()
}

// markScript counts, per chart, the drawn elements in a palette colour with a visible box,
// the palette colours they use, and the dashed lines (event marks).
const markScript = `(() => {
  const palette = new Set(%s);
  return Array.from(document.querySelectorAll('[data-chart]')).map(div => {
    let marks = 0, dashed = 0;
    const colours = new Set();
    div.querySelectorAll('svg path, svg circle, svg rect, svg polygon').forEach(el => {
      const st = getComputedStyle(el);
      const box = el.getBBox();
      const visible = box.width > 0 || box.height > 0;
      if (visible && st.strokeDasharray && st.strokeDasharray !== 'none') dashed++;
      if (!palette.has(st.stroke) && !palette.has(st.fill)) return;
      if (!visible) return;
      marks++;
      if (palette.has(st.stroke)) colours.add(st.stroke);
      if (palette.has(st.fill)) colours.add(st.fill);
    });
    return {id: div.getAttribute('data-chart'), marks: marks, colours: colours.size, dashed: dashed};
  });
})()`

// chartMarks is what a chart drew: its data marks, the palette colours they use, and its
// dashed lines.
type chartMarks struct {
	ID      string `json:"id"`
	Marks   int    `json:"marks"`
	Colours int    `json:"colours"`
	Dashed  int    `json:"dashed"`
}

// browserProfile is a fresh Chromium profile folder, removed after the test; the removal
// is retried for a few seconds, since Chromium's helper processes may still be writing
// into it when the browser has exited.
func browserProfile(t *testing.T) string {
	dir, err := os.MkdirTemp("", "tidewatch-chromium-")
	require.NoError(t, err)
	t.Cleanup(func() {
		var err error
		for range 50 {
			if err = os.RemoveAll(dir); err == nil {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
		t.Logf("remove the browser profile %s: %v", dir, err)
	})
	return dir
}

func paletteJS() string {
	var cs []string
	for _, c := range Palette {
		cs = append(cs, fmt.Sprintf(`"rgb(%d, %d, %d)"`, c.R, c.G, c.B))
	}
	return "[" + strings.Join(cs, ",") + "]"
}

// RenderInBrowser loads a written report.html in headless Chromium and checks that the
// page logs no error, every chart drew marks, and the figures are all there; it saves a
// screenshot in the artifact folder and returns what each chart drew, by figure id.
func RenderInBrowser(t *testing.T, dir string, charts int) map[string]chartMarks {
	t.Helper()
	profile := browserProfile(t)
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath(t)), chromedp.UserDataDir(profile),
		chromedp.Flag("headless", true), chromedp.Flag("no-sandbox", true), chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true), chromedp.Flag("no-first-run", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true), chromedp.WindowSize(1200, 900),
	}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelA()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancelT := context.WithTimeout(ctx, 90*time.Second)
	defer cancelT()

	var mu sync.Mutex
	var problems []string
	chromedp.ListenTarget(ctx, func(ev any) {
		mu.Lock()
		defer mu.Unlock()
		switch e := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			if e.Type == runtime.APITypeError || e.Type == runtime.APITypeWarning {
				var args []string
				for _, a := range e.Args {
					args = append(args, string(a.Value))
				}
				problems = append(problems, fmt.Sprintf("console %s: %s", e.Type, strings.Join(args, " ")))
			}
		case *runtime.EventExceptionThrown:
			problems = append(problems, "exception: "+e.ExceptionDetails.Text)
		case *log.EventEntryAdded:
			if e.Entry.Level == log.LevelError || e.Entry.Level == log.LevelWarning {
				problems = append(problems, fmt.Sprintf("log %s (%s): %s %s", e.Entry.Level, e.Entry.Source, e.Entry.Text, e.Entry.URL))
			}
		}
	})
	var counts []chartMarks
	var shot []byte
	var figures int
	page := "file://" + filepath.Join(dir, HTMLFile)
	err := chromedp.Run(ctx,
		log.Enable(), runtime.Enable(),
		chromedp.Navigate(page),
		chromedp.WaitReady("body"),
		chromedp.Evaluate(fmt.Sprintf(markScript, paletteJS()), &counts),
		chromedp.Evaluate(`document.querySelectorAll('figure').length`, &figures),
		chromedp.FullScreenshot(&shot, 100),
	)
	require.NoError(t, err, "render %s", page)
	t.Logf("marks per chart: %v", counts)
	require.Len(t, counts, charts, "charts in the page: %v", counts)
	byID := map[string]chartMarks{}
	for _, c := range counts {
		require.Positive(t, c.Marks, "a chart drew no marks: %v", counts)
		byID[c.ID] = c
	}
	require.Positive(t, figures)
	mu.Lock()
	require.Empty(t, problems, "the page logged problems")
	mu.Unlock()
	out := filepath.Join(artifactDir(t), t.Name()+"-report.png")
	require.NoError(t, os.MkdirAll(filepath.Dir(out), 0o755))
	require.NoError(t, os.WriteFile(out, shot, 0o644))
	t.Logf("screenshot: %s", out)
	return byID
}

func TestReportRendersInChromium(t *testing.T) {
	dir := t.TempDir()
	r := fixture(t)
	_, err := Write(dir, r)
	require.NoError(t, err)
	charts := RenderInBrowser(t, dir, 6)
	require.GreaterOrEqual(t, charts["levels"].Colours, 3, "bars named by the event, the others, and the intervals: %+v", charts["levels"])
	require.Equal(t, 2, charts["shares"].Dashed, "one dashed line per event mark: %+v", charts["shares"])
	require.Equal(t, 0, charts["lines"].Dashed)
	require.Equal(t, 3, charts["actor-shares"].Colours, "one line per platform: %+v", charts["actor-shares"])
	require.Equal(t, 1, charts["actor-shares"].Dashed, "one dashed line per move: %+v", charts["actor-shares"])
}
