package main

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"unicode"
)

// pointer is one relation of a synset: its symbol ("@" hypernym, "+" derivation), the target
// synset, and the source and target word numbers (0 when it relates whole synsets).
type pointer struct {
	symbol   string
	target   string
	src, dst int
}

type synset struct {
	words    []string // as written: multi-word lemmas joined by "_", proper names capitalised
	pointers []pointer
}

// wordnet is the part of the database the table is made from.
type wordnet struct {
	synsets   map[string]*synset           // by pos letter + offset ("n03800933")
	senses    map[byte]map[string][]string // pos → lemma → synset keys, most frequent first
	tagged    map[string]int               // noun lemma → how many of its senses are sense-tagged
	frequency map[string]int               // lemma → tagged occurrences, all senses
}

var posFiles = map[byte]string{'n': "noun", 'v': "verb", 'a': "adj"}

func load(dir string) (*wordnet, error) {
	wn := &wordnet{synsets: map[string]*synset{}, tagged: map[string]int{}, senses: map[byte]map[string][]string{}, frequency: map[string]int{}}
	for _, pos := range []byte{'n', 'v', 'a'} {
		if err := eachLine(filepath.Join(dir, "data."+posFiles[pos]), func(f []string) error { return wn.addSynset(pos, f) }); err != nil {
			return nil, err
		}
		wn.senses[pos] = map[string][]string{}
		if err := eachLine(filepath.Join(dir, "index."+posFiles[pos]), func(f []string) error { return wn.addIndex(pos, f) }); err != nil {
			return nil, err
		}
	}
	err := eachLine(filepath.Join(dir, "cntlist.rev"), func(f []string) error {
		if len(f) != 3 {
			return fmt.Errorf("want 3 fields, got %d", len(f))
		}
		n, err := strconv.Atoi(f[2])
		wn.frequency[strings.SplitN(f[0], "%", 2)[0]] += n
		return err
	})
	return wn, err
}

// eachLine calls fn with the fields of each line of the file that is not part of its licence
// header (those start with spaces), naming the file and line on an error.
func eachLine(path string, fn func([]string) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for n := 1; sc.Scan(); n++ {
		if strings.HasPrefix(sc.Text(), " ") {
			continue
		}
		if err := fn(strings.Fields(sc.Text())); err != nil {
			return fmt.Errorf("%s:%d: %w", path, n, err)
		}
	}
	return sc.Err()
}

// addSynset reads a data.* line: offset lex_filenum ss_type w_cnt (word lex_id)… p_cnt
// (symbol offset pos source/target)… | gloss.
func (wn *wordnet) addSynset(pos byte, f []string) error {
	if len(f) < 4 {
		return fmt.Errorf("short synset line")
	}
	nw, err := strconv.ParseInt(f[3], 16, 32)
	if err != nil || len(f) < 5+2*int(nw) {
		return fmt.Errorf("bad word count %q", f[3])
	}
	s := &synset{}
	for i := range int(nw) {
		w := f[4+2*i] // proper names keep their capital, so plain leaves them out
		if strings.ContainsFunc(w[1:], unicode.IsUpper) {
			w = strings.ToLower(w) // an acronym ("PhD", "CEO") is a common word
		}
		if j := strings.IndexByte(w, '('); j > 0 {
			w = w[:j] // adjective markers: "galore(ip)"
		}
		s.words = append(s.words, w)
	}
	rest := f[4+2*nw:]
	np, err := strconv.Atoi(rest[0])
	if err != nil || len(rest) < 1+4*np {
		return fmt.Errorf("bad pointer count %q", rest[0])
	}
	for i := range np {
		p := rest[1+4*i : 5+4*i]
		st, err := strconv.ParseUint(p[3], 16, 16)
		if err != nil {
			return fmt.Errorf("bad source/target %q", p[3])
		}
		s.pointers = append(s.pointers, pointer{symbol: p[0], target: key(p[2][0], p[1]), src: int(st >> 8), dst: int(st & 0xff)})
	}
	wn.synsets[key(pos, f[0])] = s
	return nil
}

// addIndex reads an index.* line: lemma pos synset_cnt p_cnt symbol… sense_cnt tagsense_cnt
// offset…, the offsets most frequent sense first.
func (wn *wordnet) addIndex(pos byte, f []string) error {
	if len(f) < 4 {
		return fmt.Errorf("short index line")
	}
	np, err := strconv.Atoi(f[3])
	if err != nil || len(f) < 6+np {
		return fmt.Errorf("bad pointer count %q", f[3])
	}
	if pos == 'n' {
		n, err := strconv.Atoi(f[5+np])
		if err != nil {
			return fmt.Errorf("bad tagged sense count %q", f[5+np])
		}
		wn.tagged[f[0]] = n
	}
	for _, off := range f[6+np:] {
		wn.senses[pos][f[0]] = append(wn.senses[pos][f[0]], key(pos, off))
	}
	return nil
}

// key names a synset; adjective satellites ("s") are adjectives.
func key(pos byte, offset string) string {
	if pos == 's' {
		pos = 'a'
	}
	return string(pos) + offset
}
