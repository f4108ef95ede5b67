package s3store_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/digitaltwin/twin/app/memory/s3store"
	"github.com/digitaltwin/twin/app/twin"
	"github.com/digitaltwin/twin/app/twintest/fakeaws"
)

// TestPropertyFaultsNeverLoseOrDuplicate drives turns through random S3 faults (throttling,
// 500s, connections cut before or after the write took effect) and random stale bases (another
// writer got in first). Invariants, checked after every turn on a fault-free read: stored
// history only ever grows (the previous copy is a prefix of the next), a turn whose Append
// succeeded is stored exactly once, and a turn whose Append failed is stored at most once.
func TestPropertyFaultsNeverLoseOrDuplicate(t *testing.T) {
	srv := fakeaws.NewS3(t, bucket)
	st := s3store.New(srv.Client(t), bucket, prefix)
	ctx := context.Background()
	faultKinds := map[string]func(method string) fakeaws.Fault{
		"slowdown":    fakeaws.SlowDown,
		"internal":    func(m string) fakeaws.Fault { return fakeaws.Error(m, http.StatusInternalServerError, "InternalError") },
		"drop_before": fakeaws.DropBefore,
		"drop_after":  fakeaws.DropAfter,
	}
	kinds := []string{"slowdown", "internal", "drop_before", "drop_after"}
	run := 0
	rapid.Check(t, func(rt *rapid.T) {
		run++
		id := fmt.Sprintf("00000000-0000-4000-9000-%012d", run)
		var snapshots []twin.Session // every stored version seen, for stale bases
		var stored []twin.Message
		okTurns := map[string]bool{}
		turns := rapid.IntRange(1, 6).Draw(rt, "turns")
		for i := range turns {
			var faults []fakeaws.Fault
			for _, k := range rapid.SliceOfN(rapid.SampledFrom(kinds), 0, 5).Draw(rt, "faults") {
				method := rapid.SampledFrom([]string{http.MethodGet, http.MethodPut, ""}).Draw(rt, "method")
				faults = append(faults, faultKinds[k](method))
			}
			base := twin.Session{ID: id}
			if len(snapshots) > 0 {
				base = snapshots[rapid.IntRange(0, len(snapshots)-1).Draw(rt, "base")]
			}
			at := time.Date(2026, 11, 27, 6, 0, 0, 0, time.UTC).Add(time.Duration(run*100+i) * time.Millisecond)
			msgs := []twin.Message{
				{Role: twin.RoleUser, Content: fmt.Sprintf("q %d/%d", run, i), Timestamp: at},
				{Role: twin.RoleAssistant, Content: fmt.Sprintf("a %d/%d", run, i), Timestamp: at},
			}
			srv.Inject(faults...)
			_, err := st.Append(ctx, base, msgs, 1000)
			srv.Clear()
			okTurns[msgs[0].Content] = err == nil

			now, gerr := st.Get(ctx, id)
			if gerr != nil && twin.ErrorCode(gerr) != twin.CodeSessionNotFound {
				rt.Fatalf("fault-free Get: %v", gerr)
			}
			if len(now.Messages) < len(stored) {
				rt.Fatalf("history shrank from %d to %d messages", len(stored), len(now.Messages))
			}
			for j := range stored {
				if now.Messages[j].Content != stored[j].Content {
					rt.Fatalf("message %d changed from %q to %q", j, stored[j].Content, now.Messages[j].Content)
				}
			}
			stored = now.Messages
			if gerr == nil {
				snapshots = append(snapshots, now)
			}
			count := map[string]int{}
			for _, m := range stored {
				count[m.Content]++
			}
			for q, ok := range okTurns {
				switch n := count[q]; {
				case ok && n != 1:
					rt.Fatalf("turn %q succeeded but is stored %d times", q, n)
				case !ok && n > 1:
					rt.Fatalf("turn %q failed and is stored %d times", q, n)
				}
			}
		}
	})
}
