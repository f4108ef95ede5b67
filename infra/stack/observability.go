package stack

import (
	"fmt"
	"time"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/sns"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/digitaltwin/twin/dashboards"
)

// Observability is the alarm topic, the alarms and the dashboard of dashboards/.
type Observability struct {
	pulumi.ResourceState

	Topic     *sns.Topic
	Alarms    []*cloudwatch.MetricAlarm
	Dashboard *cloudwatch.Dashboard
}

type observabilityDeps struct {
	fns     *Functions
	api     *API
	storage *Storage
	site    *Site
}

// NewObservability creates the SNS topic (with the optional email subscription), one metric
// alarm per dashboards.Alarms entry and the dashboard.
func NewObservability(ctx *pulumi.Context, cfg *Config, d observabilityDeps, opts ...pulumi.ResourceOption) (*Observability, error) {
	o := &Observability{}
	name := cfg.Prefix + "-observability"
	if err := ctx.RegisterComponentResource("twin:stack:Observability", name, o, opts...); err != nil {
		return nil, err
	}
	p := pulumi.Parent(o)
	var err error
	o.Topic, err = sns.NewTopic(ctx, cfg.Prefix+"-alarms", &sns.TopicArgs{
		DisplayName: pulumi.String("Digital twin " + cfg.Stack + " alarms"),
	}, p)
	if err != nil {
		return nil, err
	}
	if cfg.AlarmEmail != "" {
		// Email subscriptions stay pending until the owner clicks the confirmation link.
		if _, err := sns.NewTopicSubscription(ctx, cfg.Prefix+"-alarms-email", &sns.TopicSubscriptionArgs{
			Topic: o.Topic.Arn, Protocol: pulumi.String("email"), Endpoint: pulumi.String(cfg.AlarmEmail),
		}, pulumi.Parent(o.Topic)); err != nil {
			return nil, err
		}
	}

	// Resource names are outputs; the set of alarms is not. Render once with placeholders to
	// know how many alarms (and their names), then render each alarm's queries from the real
	// names inside an apply.
	names := func(apiID, bucket, dist string) dashboards.Names {
		return dashboards.Names{
			Region: cfg.Region, Environment: cfg.Environment,
			HTTPFunction: d.fns.HTTP.Name, StreamFunction: d.fns.Stream.Name,
			HTTPTimeout:   time.Duration(cfg.ChatTimeout) * time.Second,
			StreamTimeout: time.Duration(cfg.StreamTimeout) * time.Second,
			HTTPLogGroup:  "/aws/lambda/" + d.fns.HTTP.Name, StreamLogGroup: "/aws/lambda/" + d.fns.Stream.Name,
			APIID: apiID, MemoryBucket: bucket, DistributionID: dist,
		}
	}
	plan := dashboards.Alarms(names("api-id", "memory-bucket", "distribution-id"))
	if len(plan) == 0 {
		return nil, fmt.Errorf("dashboards.Alarms returned no alarms")
	}
	real := pulumi.All(d.api.API.ID(), d.storage.MemoryBucket.Bucket, d.site.Distribution.ID()).ApplyT(
		func(v []any) dashboards.Names {
			return names(string(v[0].(pulumi.ID)), v[1].(string), string(v[2].(pulumi.ID)))
		})
	topic := pulumi.Array{o.Topic.Arn}
	for i, a := range plan {
		queries := real.ApplyT(func(n any) ([]cloudwatch.MetricAlarmMetricQuery, error) {
			all := dashboards.Alarms(n.(dashboards.Names))
			if len(all) != len(plan) || all[i].Name != a.Name {
				return nil, fmt.Errorf("dashboards.Alarms changed shape with the real names (alarm %d %q)", i, a.Name)
			}
			return metricQueries(all[i].Metrics), nil
		}).(cloudwatch.MetricAlarmMetricQueryArrayOutput)
		alarm, err := cloudwatch.NewMetricAlarm(ctx, a.Name, &cloudwatch.MetricAlarmArgs{
			Name:               pulumi.String(a.Name),
			AlarmDescription:   pulumi.String(a.Description),
			ComparisonOperator: pulumi.String(a.ComparisonOperator),
			Threshold:          pulumi.Float64(a.Threshold),
			EvaluationPeriods:  pulumi.Int(a.EvaluationPeriods),
			DatapointsToAlarm:  pulumi.Int(a.DatapointsToAlarm),
			TreatMissingData:   pulumi.String(a.TreatMissingData),
			MetricQueries:      queries,
			AlarmActions:       topic,
			OkActions:          topic,
		}, p)
		if err != nil {
			return nil, err
		}
		o.Alarms = append(o.Alarms, alarm)
	}

	body := real.ApplyT(func(n any) (string, error) { return dashboards.Dashboard(n.(dashboards.Names)) }).(pulumi.StringOutput)
	o.Dashboard, err = cloudwatch.NewDashboard(ctx, cfg.Prefix+"-dashboard", &cloudwatch.DashboardArgs{
		DashboardName: pulumi.String(cfg.Prefix),
		DashboardBody: body,
	}, p)
	if err != nil {
		return nil, err
	}
	if err := ctx.RegisterResourceOutputs(o, pulumi.Map{"topic": o.Topic.Arn}); err != nil {
		return nil, err
	}
	return o, nil
}

// metricQueries maps the dashboards package's metric math onto the provider's type.
func metricQueries(ms []dashboards.MetricQuery) []cloudwatch.MetricAlarmMetricQuery {
	out := make([]cloudwatch.MetricAlarmMetricQuery, 0, len(ms))
	for _, m := range ms {
		q := cloudwatch.MetricAlarmMetricQuery{Id: m.ID, ReturnData: ptr(m.ReturnData)}
		if m.Label != "" {
			q.Label = ptr(m.Label)
		}
		if m.Expression != "" {
			q.Expression = ptr(m.Expression)
		} else {
			q.Metric = &cloudwatch.MetricAlarmMetricQueryMetric{
				Namespace: ptr(m.Namespace), MetricName: m.MetricName, Stat: m.Stat,
				Period: m.Period, Dimensions: m.Dimensions,
			}
		}
		out = append(out, q)
	}
	return out
}

func ptr[T any](v T) *T { return &v }
