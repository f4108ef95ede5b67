// Command render prints the twin's CloudWatch dashboard body or alarm definitions for one
// stack's names, to inspect them or apply them by hand:
//
//	go run ./dashboards/cmd/render -region eu-west-1 -env staging -http twin-staging-http \
//	  -stream twin-staging-stream -api a1b2c3 -bucket twin-staging-memory > body.json
//	aws cloudwatch put-dashboard --dashboard-name twin-staging --dashboard-body file://body.json
//
// With -alarms it prints the alarms as JSON instead.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/digitaltwin/twin/dashboards"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "render:", err)
		os.Exit(2)
	}
}

func run(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("render", flag.ContinueOnError)
	var n dashboards.Names
	fs.StringVar(&n.Region, "region", "", "AWS region")
	fs.StringVar(&n.Environment, "env", "", "environment as the app emits it: staging | production")
	fs.StringVar(&n.HTTPFunction, "http", "", "Lambda function of the http-api front")
	fs.StringVar(&n.StreamFunction, "stream", "", "Lambda function of the function-url front")
	fs.StringVar(&n.APIID, "api", "", "API Gateway HTTP API id")
	fs.StringVar(&n.MemoryBucket, "bucket", "", "S3 memory bucket")
	fs.StringVar(&n.DistributionID, "distribution", "", "CloudFront distribution id (optional)")
	fs.DurationVar(&n.HTTPTimeout, "http-timeout", 0, "timeout of the http-api function, e.g. 30s")
	fs.DurationVar(&n.StreamTimeout, "stream-timeout", 0, "timeout of the function-url function, e.g. 120s")
	alarms := fs.Bool("alarms", false, "print the alarm definitions instead of the dashboard")
	if err := fs.Parse(args); err != nil {
		return err
	}
	body, err := dashboards.Dashboard(n) // validates the names for both outputs
	if err != nil {
		return err
	}
	if *alarms {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(dashboards.Alarms(n))
	}
	var pretty any
	if err := json.Unmarshal([]byte(body), &pretty); err != nil {
		return err
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(pretty)
}
