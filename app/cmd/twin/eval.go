package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/digitaltwin/twin/app/chat"
	"github.com/digitaltwin/twin/app/config"
	"github.com/digitaltwin/twin/app/eval"
	"github.com/digitaltwin/twin/app/wire"
)

// Exit codes of `twin eval`.
const (
	evalOK    = 0 // both shares meet their thresholds
	evalBelow = 1 // a share is below its threshold
	evalBad   = 2 // bad flags, a missing or malformed question file, or a twin that cannot start
)

const evalUsage = "usage: twin eval -questions FILE [-persona PATH] [-json] [-min-answered 0.8] [-min-abstained 0.9]"

// runEval is `twin eval`: it runs a question file through the real chat turn, wired as the
// server wires it (the configured provider and persona), each case in a fresh session whose
// records go to a temporary folder, and scores the replies. It returns the exit code.
func runEval(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("twin eval", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprintln(stderr, evalUsage); fs.PrintDefaults() }
	questions := fs.String("questions", "", "question file (YAML: persona, cases)")
	personaPath := fs.String("persona", "", "persona file or folder; wins over the file's persona: and PERSONA_FILE")
	asJSON := fs.Bool("json", false, "print one JSON document instead of lines")
	minAnswered := fs.Float64("min-answered", 0.8, "share of answerable cases that must be answered")
	minAbstained := fs.Float64("min-abstained", 0.9, "share of unanswerable cases that must be declined")
	if err := fs.Parse(args); err != nil {
		return evalBad
	}
	bad := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "twin eval: "+format+"\n", a...)
		return evalBad
	}
	switch {
	case *questions == "":
		return bad("-questions FILE is required\n%s", evalUsage)
	case fs.NArg() > 0:
		return bad("unexpected argument %q\n%s", fs.Arg(0), evalUsage)
	case *minAnswered < 0 || *minAnswered > 1:
		return bad("-min-answered must be between 0 and 1 (got %g)", *minAnswered)
	case *minAbstained < 0 || *minAbstained > 1:
		return bad("-min-abstained must be between 0 and 1 (got %g)", *minAbstained)
	}
	file, err := eval.Load(*questions)
	if err != nil {
		return bad("%v", err)
	}
	persona := file.Persona
	if *personaPath != "" {
		persona = *personaPath
	}
	dataDir, err := os.MkdirTemp("", "twin-eval-")
	if err != nil {
		return bad("%v", err)
	}
	defer os.RemoveAll(dataDir)
	cfg, err := config.Load(evalEnv(getenv, persona, dataDir))
	if err != nil {
		return bad("%v", err)
	}
	quiet := slog.New(slog.DiscardHandler)
	app, err := wire.New(ctx, cfg, quiet, io.Discard)
	if err != nil {
		return bad("%v", err)
	}
	defer app.Close()
	p, err := app.Chat.Persona.Persona(ctx)
	if err != nil {
		return bad("persona: %v", err)
	}

	n := 0
	report := eval.Run(ctx, file, p.Text, func(ctx context.Context, q string) (string, error) {
		n++
		res, err := app.Chat.Turn(ctx, chat.Request{SessionID: caseSession(n), Message: q}, func(string) error { return nil })
		return res.Reply, err
	})
	if *asJSON {
		err = report.WriteJSON(stdout)
	} else {
		err = report.WriteText(stdout)
	}
	if err != nil {
		return bad("%v", err)
	}
	if !report.Meets(*minAnswered, *minAbstained) {
		fmt.Fprintf(stderr, "twin eval: below the thresholds: answered %.2f (min %.2f), abstained %.2f (min %.2f)\n",
			eval.Share(report.Answered, report.Answerable), *minAnswered, eval.Share(report.Abstained, report.Unanswerable), *minAbstained)
		return evalBelow
	}
	return evalOK
}

// caseSession is the n-th case's session id: a fresh, well-formed one per case.
func caseSession(n int) string { return fmt.Sprintf("00000000-0000-4000-8000-%012d", n) }

// evalEnv is the environment for an eval run: the configured provider and persona (persona, when
// set, wins), with every record (sessions, questions, leads) in dataDir and no notifications, so
// a run never touches the deployment's conversations or the owner's inbox.
func evalEnv(getenv func(string) string, persona, dataDir string) func(string) string {
	return func(k string) string {
		switch k {
		case "PERSONA_FILE":
			if persona != "" {
				return persona
			}
		case "S3_PERSONA_BUCKET":
			if persona != "" {
				return ""
			}
		case "DATA_DIR":
			return dataDir
		case "MEMORY_DIR":
			return filepath.Join(dataDir, "sessions")
		case "S3_MEMORY_BUCKET", "OWNER_TOPIC_ARN", "OWNER_TOKEN_SECRET_ID":
			return ""
		case "OFFLINE_TOKEN_DELAY_MS":
			return "0"
		}
		return getenv(k)
	}
}
