// Package eval runs a question file against the twin and scores the replies: `twin eval`
// (app/cmd/twin) wires the real chat turn to it, so an owner can check a persona with the model
// they will deploy, and `make test` checks the offline responder on the corpus in eval/.
//
// A question file is YAML:
//
//	persona: me.txt            # optional, relative to this file
//	cases:
//	  - question: Where do you work?
//	    expect: [Lumen Labs]   # passes when the reply contains any of these (case-insensitive)
//	  - question: Are you married?
//	    abstain: true          # passes when the reply declines and states no persona fact
//	    forbid: [wedding]      # optional: the near-miss facts the reply must not bring up
package eval

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Case is one question and what makes its reply pass.
type Case struct {
	Question string
	Expect   []string // an answerable case passes when the reply contains any of these
	Abstain  bool     // an unanswerable case passes when the reply declines
	Forbid   []string // an unanswerable case fails when the reply contains any of these
	Line     int      // where the case starts in the file
}

// File is a parsed question file.
type File struct {
	Path    string
	Persona string // the persona path resolved against the file's folder, or ""
	Cases   []Case
}

// FileError is a problem with a question file: it names the file and, when known, the line.
type FileError struct {
	Path string
	Line int // 0 when the problem is not on one line
	Msg  string
}

func (e *FileError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.Path, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.Path, e.Msg)
}

// maxFileBytes bounds a question file; a larger one is refused, not read half.
const maxFileBytes = 4 << 20

// Load reads and parses the question file at path.
func Load(path string) (File, error) {
	info, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return File{}, &FileError{Path: path, Msg: "no such file"}
	case err != nil:
		return File{}, &FileError{Path: path, Msg: err.Error()}
	case info.IsDir():
		return File{}, &FileError{Path: path, Msg: "is a folder, not a question file"}
	case info.Size() > maxFileBytes:
		return File{}, &FileError{Path: path, Msg: fmt.Sprintf("is %d bytes; a question file may have at most %d", info.Size(), maxFileBytes)}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return File{}, &FileError{Path: path, Msg: err.Error()}
	}
	f, err := Parse(path, data)
	if err != nil {
		return File{}, err
	}
	if f.Persona != "" && !filepath.IsAbs(f.Persona) {
		f.Persona = filepath.Join(filepath.Dir(path), f.Persona)
	}
	return f, nil
}

// Parse parses a question file's content; path only names it in errors. The persona path is
// returned as written.
func Parse(path string, data []byte) (File, error) {
	fail := func(line int, format string, args ...any) (File, error) {
		return File{}, &FileError{Path: path, Line: line, Msg: fmt.Sprintf(format, args...)}
	}
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return fail(0, "is empty; it needs a list of cases")
		}
		line, msg := yamlError(err)
		return fail(line, "%s", msg)
	}
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case err == nil:
		return fail(extra.Line, "holds more than one YAML document")
	case !errors.Is(err, io.EOF):
		line, msg := yamlError(err)
		return fail(line, "%s", msg)
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	if root.Kind != yaml.MappingNode {
		return fail(root.Line, "must be a mapping with a cases list")
	}
	f := File{Path: path}
	var casesNode *yaml.Node
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		switch k.Value {
		case "persona":
			if v.Kind != yaml.ScalarNode || strings.TrimSpace(v.Value) == "" {
				return fail(v.Line, "persona must be a path")
			}
			f.Persona = v.Value
		case "cases":
			casesNode = v
		default:
			return fail(k.Line, "unknown key %q (want persona, cases)", k.Value)
		}
	}
	if casesNode == nil {
		return fail(root.Line, "has no cases list")
	}
	if casesNode.Kind != yaml.SequenceNode {
		return fail(casesNode.Line, "cases must be a list")
	}
	if len(casesNode.Content) == 0 {
		return fail(casesNode.Line, "the cases list is empty")
	}
	for i, n := range casesNode.Content {
		c, err := parseCase(n)
		if err != nil {
			return fail(err.Line, "case %d: %s", i+1, err.Msg)
		}
		f.Cases = append(f.Cases, c)
	}
	return f, nil
}

// parseCase reads one case mapping; its errors carry the line they are about.
func parseCase(n *yaml.Node) (Case, *FileError) {
	c := Case{Line: n.Line}
	bad := func(line int, format string, args ...any) (Case, *FileError) {
		return Case{}, &FileError{Line: line, Msg: fmt.Sprintf(format, args...)}
	}
	if n.Kind != yaml.MappingNode {
		return bad(n.Line, "must be a mapping with question and expect or abstain")
	}
	seenAbstain := false
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		var err error
		switch k.Value {
		case "question":
			err = v.Decode(&c.Question)
		case "expect":
			c.Expect, err = stringList(v)
		case "forbid":
			c.Forbid, err = stringList(v)
		case "abstain":
			seenAbstain = true
			err = v.Decode(&c.Abstain)
		default:
			return bad(k.Line, "unknown key %q (want question, expect, abstain, forbid)", k.Value)
		}
		if err != nil {
			_, msg := yamlError(err)
			return bad(v.Line, "%s: %s", k.Value, msg)
		}
	}
	c.Question = strings.TrimSpace(c.Question)
	switch {
	case c.Question == "":
		return bad(n.Line, "question is missing or empty")
	case len(c.Expect) > 0 && c.Abstain:
		return bad(n.Line, "has both expect and abstain: true; a case is either answerable or not")
	case len(c.Expect) == 0 && !c.Abstain && seenAbstain:
		return bad(n.Line, "abstain: false needs an expect list")
	case len(c.Expect) == 0 && !c.Abstain:
		return bad(n.Line, "needs expect (answers that pass) or abstain: true")
	case len(c.Forbid) > 0 && !c.Abstain:
		return bad(n.Line, "forbid applies only to abstain cases")
	}
	return c, nil
}

// stringList decodes a list of non-empty strings (a single string counts as a list of one).
func stringList(v *yaml.Node) ([]string, error) {
	var out []string
	if v.Kind == yaml.ScalarNode {
		var s string
		if err := v.Decode(&s); err != nil {
			return nil, err
		}
		out = []string{s}
	} else if err := v.Decode(&out); err != nil {
		return nil, err
	}
	for _, s := range out {
		if strings.TrimSpace(s) == "" {
			return nil, errors.New("holds an empty string, which every reply contains")
		}
	}
	return out, nil
}

var yamlLine = regexp.MustCompile(`line (\d+): `)

// yamlError splits a YAML library error into its line (0 if none) and message.
func yamlError(err error) (int, string) {
	msg := err.Error()
	var te *yaml.TypeError
	if errors.As(err, &te) && len(te.Errors) > 0 {
		msg = te.Errors[0]
	}
	msg = strings.TrimPrefix(msg, "yaml: ")
	if m := yamlLine.FindStringSubmatchIndex(msg); m != nil {
		line, _ := strconv.Atoi(msg[m[2]:m[3]])
		return line, msg[:m[0]] + msg[m[1]:]
	}
	return 0, msg
}
