package collect

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/tidewatch/tidewatch/collector/collect/clock"
)

// TimeSource tells the server's current time; *telegram.Account satisfies it.
type TimeSource interface {
	ServerTime(ctx context.Context) (time.Time, error)
}

// ServerClock is the data's time: Telegram's, sampled from the server and followed between
// samples (against the simulator it runs faster than real time). It is a clock.Clock.
type ServerClock struct {
	*clock.Follower
	stop context.CancelFunc
	wg   sync.WaitGroup
}

// FollowServerTime reads the server's time from src and keeps sampling it, every few
// seconds at first to learn the speed and every minute after that, until Stop. It fails
// when the first reading does; later failures are logged and the clock follows the last
// reading.
func FollowServerTime(ctx context.Context, src TimeSource, log *slog.Logger) (*ServerClock, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &ServerClock{Follower: clock.NewFollower(clock.Real{})}
	sample := func(ctx context.Context) error {
		t, err := src.ServerTime(ctx)
		if err == nil {
			s.Observe(t)
		}
		return err
	}
	if err := sample(ctx); err != nil {
		return nil, fmt.Errorf("read the server's time: %w", err)
	}
	sampleCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	s.stop = stop
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for i := 0; ; i++ {
			d := time.Minute
			if i < 3 {
				d = 3 * time.Second // learn the speed early
			}
			if clock.Wait(sampleCtx, clock.Real{}, d) != nil {
				return
			}
			if err := sample(sampleCtx); err != nil && sampleCtx.Err() == nil {
				log.Warn("reading the server's time failed", "err", err)
			}
		}
	}()
	return s, nil
}

// Stop ends the sampling and waits for it; the clock goes on from the last reading.
func (s *ServerClock) Stop() {
	s.stop()
	s.wg.Wait()
}
