package memory

import (
	"sort"
	"time"
)

// Listed is a stored session's id and when it was last written, as a store's listing gives it.
type Listed struct {
	ID       string
	Modified time.Time
}

// Newest returns the ids of the limit most recently written sessions, newest first.
func Newest(all []Listed, limit int) []string {
	sort.SliceStable(all, func(i, j int) bool { return all[i].Modified.After(all[j].Modified) })
	ids := make([]string, 0, min(len(all), limit))
	for _, e := range all[:min(len(all), limit)] {
		ids = append(ids, e.ID)
	}
	return ids
}
