package cost

// Prices are on-demand list prices in USD for one region. The table is
// dated; AWS changes prices rarely but does change them: re-check the
// sources before relying on a figure.
type Prices struct {
	Region string
	AsOf   string // when these figures were read

	NATHour, NATPerGB              float64
	InterfaceEndpointHour          float64 // per interface endpoint per AZ
	InterfaceEndpointGB            float64 // data processed, first PB tier
	PublicIPv4Hour                 float64
	ALBHour, LCUHour               float64
	FargateVCPUHour, FargateGBHour map[string]float64 // by CPU architecture
	FargateSpotDiscount            float64            // fraction off on-demand (varies; typical)
	RDSHour                        map[string]float64 // single-AZ PostgreSQL, by instance class; Multi-AZ doubles
	RDSStorageGBMonth              float64            // gp3, single-AZ; Multi-AZ doubles
	RDSBackupGBMonth               float64            // beyond the free 100% of provisioned storage
	DashboardMonth                 float64            // per dashboard beyond the account's first 3
	AlarmMetricMonth               float64            // per standard-resolution metric in an alarm
	CustomMetricMonth              float64            // first 10,000 metrics tier
	LogIngestGB, LogStorageGBMonth float64
	S3StandardGBMonth, S3IAGBMonth float64
	SecretMonth                    float64
	KMSKeyMonth                    float64
	ECRStorageGBMonth              float64
	EC2Hour                        map[string]float64 // Linux on-demand, by instance type
	EBSGP3GBMonth                  float64
}

// Sources are the AWS pricing pages the figures come from.
var Sources = map[string]string{
	"NAT gateway, public IPv4":       "https://aws.amazon.com/vpc/pricing/",
	"ALB, LCU":                       "https://aws.amazon.com/elasticloadbalancing/pricing/",
	"Fargate":                        "https://aws.amazon.com/fargate/pricing/",
	"RDS for PostgreSQL":             "https://aws.amazon.com/rds/postgresql/pricing/",
	"CloudWatch":                     "https://aws.amazon.com/cloudwatch/pricing/",
	"S3":                             "https://aws.amazon.com/s3/pricing/",
	"Secrets Manager":                "https://aws.amazon.com/secrets-manager/pricing/",
	"KMS":                            "https://aws.amazon.com/kms/pricing/",
	"ECR":                            "https://aws.amazon.com/ecr/pricing/",
	"ACM (public certificates free)": "https://aws.amazon.com/certificate-manager/pricing/",
	"Route 53 (records free, alias queries to ELB free)": "https://aws.amazon.com/route53/pricing/",
	"AWS Chatbot (no charge)":                            "https://aws.amazon.com/chatbot/pricing/",
	// t4g sizes scale linearly (nano = medium / 8); the AWS Price List API
	// gives t4g.medium Linux on-demand as $0.0224/h in ap-south-1 and
	// $0.0336/h in us-east-1.
	"EC2, EBS":                "https://aws.amazon.com/ec2/pricing/on-demand/, https://aws.amazon.com/ebs/pricing/",
	"VPC interface endpoints": "https://aws.amazon.com/privatelink/pricing/",
}

// PriceTable holds the regions the estimate knows.
var PriceTable = map[string]Prices{
	"ap-south-1": {
		Region: "ap-south-1", AsOf: "2026-11",
		NATHour: 0.056, NATPerGB: 0.056, PublicIPv4Hour: 0.005,
		InterfaceEndpointHour: 0.011, InterfaceEndpointGB: 0.01,
		ALBHour: 0.0239, LCUHour: 0.008,
		FargateVCPUHour:     map[string]float64{"X86_64": 0.04656, "ARM64": 0.03725},
		FargateGBHour:       map[string]float64{"X86_64": 0.00511, "ARM64": 0.00409},
		FargateSpotDiscount: 0.7,
		RDSHour:             map[string]float64{"db.t3.micro": 0.020, "db.t3.small": 0.040, "db.t3.medium": 0.080, "db.t4g.micro": 0.018, "db.t4g.small": 0.036, "db.t4g.medium": 0.072, "db.m6g.large": 0.178},
		RDSStorageGBMonth:   0.131, RDSBackupGBMonth: 0.095,
		DashboardMonth: 3.00, AlarmMetricMonth: 0.10, CustomMetricMonth: 0.30,
		LogIngestGB: 0.67, LogStorageGBMonth: 0.033,
		S3StandardGBMonth: 0.025, S3IAGBMonth: 0.019,
		SecretMonth: 0.40, KMSKeyMonth: 1.00, ECRStorageGBMonth: 0.10,
		EC2Hour:       map[string]float64{"t4g.nano": 0.0028, "t4g.micro": 0.0056, "t4g.small": 0.0112},
		EBSGP3GBMonth: 0.0912,
	},
	"us-east-1": {
		Region: "us-east-1", AsOf: "2026-11",
		NATHour: 0.045, NATPerGB: 0.045, PublicIPv4Hour: 0.005,
		InterfaceEndpointHour: 0.01, InterfaceEndpointGB: 0.01,
		ALBHour: 0.0225, LCUHour: 0.008,
		FargateVCPUHour:     map[string]float64{"X86_64": 0.04048, "ARM64": 0.03238},
		FargateGBHour:       map[string]float64{"X86_64": 0.004445, "ARM64": 0.00356},
		FargateSpotDiscount: 0.7,
		RDSHour:             map[string]float64{"db.t3.micro": 0.018, "db.t3.small": 0.036, "db.t3.medium": 0.072, "db.t4g.micro": 0.016, "db.t4g.small": 0.032, "db.t4g.medium": 0.065, "db.m6g.large": 0.159},
		RDSStorageGBMonth:   0.115, RDSBackupGBMonth: 0.095,
		DashboardMonth: 3.00, AlarmMetricMonth: 0.10, CustomMetricMonth: 0.30,
		LogIngestGB: 0.50, LogStorageGBMonth: 0.03,
		S3StandardGBMonth: 0.023, S3IAGBMonth: 0.0125,
		SecretMonth: 0.40, KMSKeyMonth: 1.00, ECRStorageGBMonth: 0.10,
		EC2Hour:       map[string]float64{"t4g.nano": 0.0042, "t4g.micro": 0.0084, "t4g.small": 0.0168},
		EBSGP3GBMonth: 0.08,
	},
}
