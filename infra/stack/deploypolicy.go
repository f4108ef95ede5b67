package stack

import (
	"fmt"
	"slices"
)

// deployGrant is one customer-managed policy of the CI deploy role: a service group's
// statements. They are split because a managed policy holds at most 6,144 characters.
type deployGrant struct {
	Name       string // policy name suffix: <prefix>-deploy-<Name>
	Statements []Statement
}

// deployARNs are the values the deploy role's policies are built from.
type deployARNs struct {
	Account, Boundary string
}

// onlyThisStack is the ABAC condition on resources whose ARN carries a generated id rather than
// a name (distributions, certificates, HTTP APIs, KMS keys): they carry the stack tag (the
// provider's default tags), so staging's role cannot change prod's. IfExists lets the calls
// that create such a resource (no tag yet to compare) through.
func onlyThisStack(stack string) map[string]map[string]any {
	return map[string]map[string]any{"StringEqualsIfExists": {"aws:ResourceTag/stack": stack}}
}

// deployGrants is everything the CI deploy role may do, per service the program manages.
// Resources are named by the stack's prefix ("<namePrefix>-<stack>-*", so staging's role cannot
// name prod's) wherever the service's ARNs carry the name; Resource "*" only for the actions of
// infra/policy.DeployerStarActions, each with its reason there.
func deployGrants(cfg *Config, a deployARNs) []deployGrant {
	arn := func(format string, args ...any) string { return fmt.Sprintf(format, args...) }
	p, r, acct := cfg.Prefix, cfg.Region, a.Account
	ownRoles := arn("arn:aws:iam::%s:role/%s-*", acct, p)

	compute := []Statement{
		Allow("Functions", []string{
			"lambda:CreateFunction", "lambda:DeleteFunction", "lambda:GetFunction", "lambda:GetFunctionConfiguration",
			"lambda:UpdateFunctionCode", "lambda:UpdateFunctionConfiguration", "lambda:PublishVersion",
			"lambda:ListVersionsByFunction", "lambda:GetFunctionCodeSigningConfig", "lambda:GetRuntimeManagementConfig",
			"lambda:CreateAlias", "lambda:GetAlias", "lambda:UpdateAlias", "lambda:DeleteAlias",
			"lambda:CreateFunctionUrlConfig", "lambda:GetFunctionUrlConfig", "lambda:UpdateFunctionUrlConfig",
			"lambda:DeleteFunctionUrlConfig", "lambda:AddPermission", "lambda:RemovePermission", "lambda:GetPolicy",
			"lambda:PutFunctionConcurrency", "lambda:DeleteFunctionConcurrency", "lambda:GetFunctionConcurrency",
			"lambda:TagResource", "lambda:UntagResource", "lambda:ListTags",
		}, arn("arn:aws:lambda:%s:%s:function:%s-*", r, acct, p)),
		Allow("LogGroups", []string{
			"logs:CreateLogGroup", "logs:DeleteLogGroup", "logs:PutRetentionPolicy", "logs:DeleteRetentionPolicy",
			"logs:TagResource", "logs:UntagResource", "logs:ListTagsForResource", "logs:TagLogGroup", "logs:ListTagsLogGroup",
		}, arn("arn:aws:logs:%s:%s:log-group:/aws/lambda/%s-*", r, acct, p),
			arn("arn:aws:logs:%s:%s:log-group:/aws/apigateway/%s-*", r, acct, p)),
		Allow("LogsUnscoped", []string{
			"logs:DescribeLogGroups", "logs:CreateLogDelivery", "logs:GetLogDelivery", "logs:UpdateLogDelivery",
			"logs:DeleteLogDelivery", "logs:ListLogDeliveries", "logs:PutResourcePolicy", "logs:DescribeResourcePolicies",
		}, "*"),
		{Sid: "HTTPAPI", Effect: "Allow", Action: []string{
			"apigateway:GET", "apigateway:POST", "apigateway:PUT", "apigateway:PATCH", "apigateway:DELETE",
			"apigateway:TagResource", "apigateway:UntagResource",
		}, Resource: []string{
			arn("arn:aws:apigateway:%s::/apis", r), arn("arn:aws:apigateway:%s::/apis/*", r),
			arn("arn:aws:apigateway:%s::/domainnames", r), arn("arn:aws:apigateway:%s::/domainnames/*", r),
			arn("arn:aws:apigateway:%s::/tags/*", r),
		}, Condition: onlyThisStack(cfg.Stack)},
	}

	storage := []Statement{
		Allow("Buckets", []string{
			"s3:CreateBucket", "s3:DeleteBucket", "s3:ListBucket", "s3:GetBucketLocation", "s3:GetBucketTagging",
			"s3:PutBucketTagging", "s3:GetBucketPolicy", "s3:PutBucketPolicy", "s3:DeleteBucketPolicy",
			"s3:GetBucketPublicAccessBlock", "s3:PutBucketPublicAccessBlock", "s3:GetBucketOwnershipControls",
			"s3:PutBucketOwnershipControls", "s3:GetEncryptionConfiguration", "s3:PutEncryptionConfiguration",
			"s3:GetBucketVersioning", "s3:PutBucketVersioning", "s3:GetLifecycleConfiguration",
			"s3:PutLifecycleConfiguration", "s3:GetMetricsConfiguration", "s3:PutMetricsConfiguration",
			"s3:GetBucketAcl", "s3:GetBucketCORS", "s3:GetBucketWebsite", "s3:GetBucketLogging",
			"s3:GetAccelerateConfiguration", "s3:GetBucketRequestPayment", "s3:GetReplicationConfiguration",
			"s3:GetBucketObjectLockConfiguration", "s3:GetObject", "s3:PutObject", "s3:DeleteObject",
			"s3:GetObjectTagging", "s3:PutObjectTagging",
		}, arn("arn:aws:s3:::%s-*", p)),
		Allow("Secrets", []string{
			"secretsmanager:CreateSecret", "secretsmanager:DeleteSecret", "secretsmanager:DescribeSecret",
			"secretsmanager:UpdateSecret", "secretsmanager:GetResourcePolicy", "secretsmanager:PutResourcePolicy",
			"secretsmanager:DeleteResourcePolicy", "secretsmanager:TagResource", "secretsmanager:UntagResource",
		}, arn("arn:aws:secretsmanager:%s:%s:secret:%s-*", r, acct, p)),
		// The stack sets (and Pulumi refreshes) only the origin secret's value; the LLM key and
		// the owner token are put out of band and stay unreadable to CI.
		Allow("OriginSecretValue", []string{"secretsmanager:GetSecretValue", "secretsmanager:PutSecretValue",
			"secretsmanager:UpdateSecretVersionStage"}, arn("arn:aws:secretsmanager:%s:%s:secret:%s-origin-secret-*", r, acct, p)),
		Allow("Topics", []string{
			"sns:CreateTopic", "sns:DeleteTopic", "sns:GetTopicAttributes", "sns:SetTopicAttributes", "sns:Subscribe",
			"sns:Unsubscribe", "sns:GetSubscriptionAttributes", "sns:SetSubscriptionAttributes",
			"sns:ListSubscriptionsByTopic", "sns:TagResource", "sns:UntagResource", "sns:ListTagsForResource",
		}, arn("arn:aws:sns:%s:%s:%s-*", r, acct, p)),
	}
	if cfg.CustomerManagedKey {
		storage = append(storage, Statement{Sid: "SecretKey", Effect: "Allow", Action: []string{
			"kms:CreateKey", "kms:DescribeKey", "kms:GetKeyPolicy", "kms:PutKeyPolicy", "kms:GetKeyRotationStatus",
			"kms:EnableKeyRotation", "kms:ScheduleKeyDeletion", "kms:ListResourceTags", "kms:TagResource", "kms:UntagResource",
		}, Resource: []string{"*"}, Condition: onlyThisStack(cfg.Stack)})
	}

	edge := []Statement{
		{Sid: "Distribution", Effect: "Allow", Action: []string{
			"cloudfront:CreateDistribution", "cloudfront:CreateDistributionWithTags", "cloudfront:GetDistribution",
			"cloudfront:GetDistributionConfig", "cloudfront:UpdateDistribution", "cloudfront:DeleteDistribution",
			"cloudfront:TagResource", "cloudfront:UntagResource", "cloudfront:ListTagsForResource",
			"cloudfront:CreateInvalidation", "cloudfront:GetInvalidation",
		}, Resource: []string{"*"}, Condition: onlyThisStack(cfg.Stack)},
		Allow("DistributionParts", []string{
			"cloudfront:CreateOriginAccessControl", "cloudfront:GetOriginAccessControl",
			"cloudfront:UpdateOriginAccessControl", "cloudfront:DeleteOriginAccessControl",
			"cloudfront:CreateCachePolicy", "cloudfront:GetCachePolicy", "cloudfront:UpdateCachePolicy",
			"cloudfront:DeleteCachePolicy", "cloudfront:CreateOriginRequestPolicy", "cloudfront:GetOriginRequestPolicy",
			"cloudfront:UpdateOriginRequestPolicy", "cloudfront:DeleteOriginRequestPolicy",
			"cloudfront:CreateResponseHeadersPolicy", "cloudfront:GetResponseHeadersPolicy",
			"cloudfront:UpdateResponseHeadersPolicy", "cloudfront:DeleteResponseHeadersPolicy",
		}, "*"),
		Allow("EdgeFunction", []string{
			"cloudfront:CreateFunction", "cloudfront:DescribeFunction", "cloudfront:GetFunction",
			"cloudfront:UpdateFunction", "cloudfront:PublishFunction", "cloudfront:DeleteFunction",
		}, arn("arn:aws:cloudfront::%s:function/%s-*", acct, p)),
		Allow("Alarms", []string{
			"cloudwatch:PutMetricAlarm", "cloudwatch:DeleteAlarms", "cloudwatch:DescribeAlarms",
			"cloudwatch:TagResource", "cloudwatch:UntagResource", "cloudwatch:ListTagsForResource",
		}, arn("arn:aws:cloudwatch:%s:%s:alarm:twin-%s-*", r, acct, cfg.Environment)),
		Allow("Dashboard", []string{"cloudwatch:PutDashboard", "cloudwatch:GetDashboard", "cloudwatch:DeleteDashboards"},
			arn("arn:aws:cloudwatch::%s:dashboard/%s", acct, p)),
	}
	if cfg.HostedZoneID != "" {
		edge = append(edge,
			Allow("Records", []string{"route53:ChangeResourceRecordSets", "route53:ListResourceRecordSets", "route53:GetHostedZone"},
				"arn:aws:route53:::hostedzone/"+cfg.HostedZoneID),
			Allow("RecordChanges", []string{"route53:GetChange"}, "*"),
			Statement{Sid: "Certificates", Effect: "Allow", Action: []string{
				"acm:RequestCertificate", "acm:DescribeCertificate", "acm:DeleteCertificate", "acm:ListTagsForCertificate",
				"acm:AddTagsToCertificate", "acm:RemoveTagsFromCertificate",
			}, Resource: []string{"*"}, Condition: onlyThisStack(cfg.Stack)})
	}
	if cfg.WAF {
		edge = append(edge, Allow("WebACL", []string{
			"wafv2:CreateWebACL", "wafv2:GetWebACL", "wafv2:UpdateWebACL", "wafv2:DeleteWebACL",
			"wafv2:ListTagsForResource", "wafv2:TagResource", "wafv2:UntagResource",
		}, arn("arn:aws:wafv2:us-east-1:%s:global/webacl/%s-*", acct, p)))
	}

	adminOnly := []string{ // the deploy role's own role and policies, and the boundary
		arn("arn:aws:iam::%s:role/%s-deploy-*", acct, p), arn("arn:aws:iam::%s:policy/%s-*", acct, p),
	}
	iamGrant := []Statement{
		// Creating a role, or changing what it may do, only when the role carries the stack's
		// boundary: nothing the deployer writes can exceed it.
		{Sid: "RolesWithinBoundary", Effect: "Allow", Action: BoundedRoleActions, Resource: []string{ownRoles},
			Condition: map[string]map[string]any{"StringEquals": {"iam:PermissionsBoundary": a.Boundary}}},
		Allow("OwnRoles", []string{
			"iam:GetRole", "iam:DeleteRole", "iam:UpdateRole", "iam:TagRole", "iam:UntagRole", "iam:ListRoleTags",
			"iam:UpdateAssumeRolePolicy", "iam:GetRolePolicy", "iam:ListRolePolicies", "iam:ListAttachedRolePolicies",
			"iam:ListInstanceProfilesForRole",
		}, ownRoles),
		{Sid: "PassOwnRolesToLambda", Effect: "Allow", Action: []string{"iam:PassRole"}, Resource: []string{ownRoles},
			Condition: map[string]map[string]any{"StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}}},
		Allow("ReadOwnPolicies", []string{"iam:GetPolicy", "iam:GetPolicyVersion", "iam:ListPolicyVersions"},
			arn("arn:aws:iam::%s:policy/%s-*", acct, p)),
		Allow("ReadOIDCProvider", []string{"iam:GetOpenIDConnectProvider"},
			arn("arn:aws:iam::%s:oidc-provider/%s", acct, GitHubOIDCHost)),
		// The deploy role cannot change itself, its policies or the boundary, nor lift a
		// boundary: those need an administrator's `pulumi up`.
		{Sid: "AdministratorOnly", Effect: "Deny", Action: slices.Concat(BoundedRoleActions, []string{
			"iam:UpdateAssumeRolePolicy", "iam:DeleteRole", "iam:UpdateRole", "iam:TagRole", "iam:UntagRole",
			"iam:CreatePolicy", "iam:CreatePolicyVersion", "iam:DeletePolicy", "iam:DeletePolicyVersion",
			"iam:SetDefaultPolicyVersion", "iam:TagPolicy", "iam:UntagPolicy",
		}), Resource: adminOnly},
		{Sid: "KeepBoundaries", Effect: "Deny", Action: []string{"iam:DeleteRolePermissionsBoundary"},
			Resource: []string{arn("arn:aws:iam::%s:role/*", acct)}},
		// A role it writes could trust the deployer (a same-account trust needs no grant on the
		// caller's side); the deployer never assumes one, so it cannot borrow a function's reads.
		{Sid: "NoRoleHopping", Effect: "Deny", Action: []string{"sts:AssumeRole", "sts:TagSession"},
			Resource: []string{arn("arn:aws:iam::%s:role/*", acct)}},
	}
	return []deployGrant{{"compute", compute}, {"storage", storage}, {"edge", edge}, {"iam", iamGrant}}
}

// BoundedRoleActions are the IAM actions that create a role or change its permissions: AWS
// evaluates iam:PermissionsBoundary for exactly these, so the deploy role gets them only with
// the condition that the role carries the stack's boundary (infra/policy checks it).
var BoundedRoleActions = []string{
	"iam:CreateRole", "iam:PutRolePolicy", "iam:DeleteRolePolicy", "iam:AttachRolePolicy",
	"iam:DetachRolePolicy", "iam:PutRolePermissionsBoundary",
}
