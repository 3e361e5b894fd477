package world

import (
	"strconv"
	"testing"
	"time"
)

// BenchmarkHistory pages a cached channel 100 messages at a time from
// random offsets: the cost of one messages.getHistory answer.
func BenchmarkHistory(b *testing.B) {
	w := small(b)
	at := w.End()
	ch := busiest(b, w, at)
	_, count, err := w.History(ch.id, at, HistoryQuery{})
	if err != nil {
		b.Fatal(err)
	}
	r := newRNG(1)
	top := int(w.history(ch).msgs[len(w.history(ch).msgs)-1].id)
	b.ReportAllocs()
	b.ResetTimer()
	msgs := 0
	cpu := cpuTime()
	for i := 0; i < b.N; i++ {
		page, _, err := w.History(ch.id, at, HistoryQuery{OffsetID: 100 + r.intn(top-100), Limit: 100})
		if err != nil {
			b.Fatal(err)
		}
		msgs += len(page)
	}
	b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N), "cpu-ns/op")
	b.ReportMetric(float64(msgs)/float64(b.N), "msgs/page")
	b.ReportMetric(float64(count), "history")
}

// BenchmarkAppendHistory is BenchmarkHistory reusing one page buffer.
func BenchmarkAppendHistory(b *testing.B) {
	w := small(b)
	at := w.End()
	ch := busiest(b, w, at)
	r := newRNG(1)
	top := int(w.history(ch).msgs[len(w.history(ch).msgs)-1].id)
	var buf []Message
	b.ReportAllocs()
	b.ResetTimer()
	cpu := cpuTime()
	for i := 0; i < b.N; i++ {
		var err error
		buf, _, err = w.AppendHistory(buf[:0], ch.id, at, HistoryQuery{OffsetID: 100 + r.intn(top-100), Limit: 100})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N), "cpu-ns/op")
}

// BenchmarkHistoryParallel is BenchmarkHistory from all cores at once, as
// a server's connections call it.
func BenchmarkHistoryParallel(b *testing.B) {
	w := small(b)
	at := w.End()
	ch := busiest(b, w, at)
	top := int(w.history(ch).msgs[len(w.history(ch).msgs)-1].id)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		r := newRNG(uint64(time.Now().UnixNano()))
		for pb.Next() {
			if _, _, err := w.History(ch.id, at, HistoryQuery{OffsetID: 100 + r.intn(top-100), Limit: 100}); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkMessagesByID re-reads the counters of 100 known posts.
func BenchmarkMessagesByID(b *testing.B) {
	w := small(b)
	at := w.End()
	ch := busiest(b, w, at)
	var ids []int
	for _, s := range visibleDesc(w, ch, at.Unix())[:100] {
		ids = append(ids, int(s.id))
	}
	b.ReportAllocs()
	b.ResetTimer()
	cpu := cpuTime()
	for i := 0; i < b.N; i++ {
		if _, err := w.MessagesByID(ch.id, at, ids); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N), "cpu-ns/op")
}

// BenchmarkBuildHistory plans whole channel histories (the cost of a
// channel's first read), reported per message.
func BenchmarkBuildHistory(b *testing.B) {
	w, err := Generate(DefaultSpec(5000), 1)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	msgs := 0
	cpu := cpuTime()
	for i := 0; i < b.N; i++ {
		ch := w.chans[i%len(w.chans)]
		msgs += len(w.buildHistory(ch).msgs)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(msgs), "ns/msg")
	b.ReportMetric(float64(cpuTime()-cpu)/float64(msgs), "cpu-ns/msg")
}

// BenchmarkGenerate builds the metadata of worlds of several sizes.
func BenchmarkGenerate(b *testing.B) {
	for _, n := range []int{1000, 100000} {
		b.Run(itoaBench(n), func(b *testing.B) {
			b.ReportAllocs()
			cpu := cpuTime()
			for i := 0; i < b.N; i++ {
				if _, err := Generate(DefaultSpec(n), int64(i)); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N), "cpu-ns/op")
		})
	}
}

func itoaBench(n int) string {
	if n >= 1000 {
		return strconv.Itoa(n/1000) + "k"
	}
	return strconv.Itoa(n)
}
