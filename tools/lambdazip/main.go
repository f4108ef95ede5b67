// Command lambdazip builds the Lambda artifact, bootstrap.zip, with tools/lambdabuild: the
// same reproducible build the Pulumi program runs on `pulumi up` (same source, same hash).
// With a binary argument it only packs that binary. Plain Go, so CI needs no zip tool.
//
//	go run ./tools/lambdazip -o build/lambda/bootstrap.zip            # build and pack
//	go run ./tools/lambdazip -o bootstrap.zip path/to/bootstrap        # pack only
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/digitaltwin/twin/tools/lambdabuild"
)

func main() {
	if err := run(context.Background(), os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "lambdazip:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("lambdazip", flag.ContinueOnError)
	out := fs.String("o", "build/lambda/bootstrap.zip", "zip file to write")
	version := fs.String("version", "", "version to stamp (default: git describe --tags --always --dirty)")
	goarch := fs.String("goarch", "arm64", "target architecture")
	if err := fs.Parse(args); err != nil {
		return err
	}
	switch fs.NArg() {
	case 1:
		return lambdabuild.Pack(*out, fs.Arg(0))
	case 0:
		root, err := moduleRoot()
		if err != nil {
			return err
		}
		abs, err := filepath.Abs(*out)
		if err != nil {
			return err
		}
		a, err := lambdabuild.Build(ctx, lambdabuild.Options{Root: root, Out: abs, Version: *version, GOARCH: *goarch})
		if err != nil {
			return err
		}
		fmt.Printf("%s %s (version %s)\n", a.Path, a.SourceCodeHash(), a.Version)
		return nil
	}
	return fmt.Errorf("usage: lambdazip [-o bootstrap.zip] [-version v] [-goarch arm64] [path/to/bootstrap]")
}

// moduleRoot is the nearest directory at or above the working directory holding go.mod.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("no go.mod above %s", dir)
		}
	}
}
