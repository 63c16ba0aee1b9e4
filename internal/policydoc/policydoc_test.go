package policydoc

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseReadsBackWhatNewWrites(t *testing.T) {
	built := New(
		Statement{Sid: "One", Effect: "Allow", Action: "s3:GetObject", Resource: []string{"arn:aws:s3:::b", "arn:aws:s3:::b/*"}},
		Statement{Effect: "Deny", NotAction: []string{"iam:*"}, Resource: "*",
			Condition: map[string]map[string]any{"StringEquals": {"aws:RequestedRegion": []string{"ap-south-1"}}}},
	)
	doc, err := Parse(built.JSON())
	require.NoError(t, err)
	assert.Equal(t, "2012-10-17", doc.Version)
	require.Len(t, doc.Statement, 2)
	assert.Equal(t, []string{"s3:GetObject"}, List(doc.Statement[0].Action))
	assert.Equal(t, []string{"arn:aws:s3:::b", "arn:aws:s3:::b/*"}, List(doc.Statement[0].Resource))
	assert.Nil(t, doc.Statement[1].Action)
	assert.Equal(t, []string{"iam:*"}, List(doc.Statement[1].NotAction))
	assert.Equal(t, []string{"ap-south-1"}, List(doc.Statement[1].Condition["StringEquals"]["aws:RequestedRegion"]))
	assert.NotContains(t, built.JSON(), `"Action":null`, "a NotAction statement has no Action")
	assert.Equal(t, built.Statement[1].NotAction, List(built.Statement[1].NotAction), "a built list is read as is")

	_, err = Parse("{")
	assert.Error(t, err)
	assert.Nil(t, List(nil))
	assert.Nil(t, List(42))
}
