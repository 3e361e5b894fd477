package tgsim

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/gotd/td/telegram"
	"github.com/gotd/td/tg"
	"github.com/stretchr/testify/require"
)

// Several accounts connect, create their keys, log in and page at once:
// key exchanges overlap with other connections' calls.
func TestConcurrentAccounts(t *testing.T) {
	w := mustWorld(t)
	s := startSim(t, Options{World: w, Limits: Limits{Off: true}})
	refs := activeRefs(t, w, testTime(w))
	const accounts = 4
	var wg sync.WaitGroup
	pages := make([]int, accounts)
	for i := range accounts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			phone := fmt.Sprintf("99966210%02d", i)
			withClient(t, s, clientConfig(t, s, phone), func(ctx context.Context, api *tg.Client, _ *telegram.Client) {
				for j := range 20 {
					ref := refs[(i+j)%len(refs)]
					res, err := api.MessagesGetHistory(ctx, &tg.MessagesGetHistoryRequest{
						Peer: &tg.InputPeerChannel{ChannelID: ref.ID, AccessHash: ref.Hash}, Limit: 100,
					})
					if err != nil {
						t.Errorf("account %d: %v", i, err)
						return
					}
					if len(res.(*tg.MessagesChannelMessages).Messages) > 0 {
						pages[i]++
					}
				}
			})
		}()
	}
	wg.Wait()
	for i, n := range pages {
		require.Equal(t, 20, n, "account %d", i)
	}
	byAccount := map[string]int{}
	for _, c := range s.Calls() {
		if c.Method == "messages.getHistory" {
			byAccount[c.Account]++
		}
	}
	require.Len(t, byAccount, accounts)
	require.Equal(t, accounts, s.CallCount("auth.signIn"))
}
