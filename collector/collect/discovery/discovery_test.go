package discovery

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tidewatch/tidewatch/collector/collect/state"
)

func TestRulesValidate(t *testing.T) {
	cases := []struct {
		name  string
		rules Rules
		err   string
	}{
		{"good", Rules{MaxDepth: 2, MinReferences: 3, Via: AllRules}, ""},
		{"negative depth", Rules{MaxDepth: -1, MinReferences: 1}, "max depth -1"},
		{"no references", Rules{MinReferences: 0}, "min references 0"},
		{"negative subscribers", Rules{MinReferences: 1, MinSubscribers: -5}, "min subscribers -5"},
		{"unknown rule", Rules{MinReferences: 1, Via: []string{"likes"}}, `rule "likes"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.rules.Validate()
			if c.err == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorContains(t, err, c.err)
		})
	}
}

func TestFrameIDIsStable(t *testing.T) {
	r := Rules{MaxDepth: 1, MinReferences: 2, Via: []string{RuleMention, RuleForward, RuleForward}}
	a := FrameID(r, []string{"b", "A"})
	require.Equal(t, a, FrameID(Rules{MaxDepth: 1, MinReferences: 2, Via: []string{RuleForward, RuleMention}}, []string{"a", "b", "a"}))
	require.NotEqual(t, a, FrameID(r, []string{"a"}))
	require.NotEqual(t, a, FrameID(Rules{MaxDepth: 2, MinReferences: 2, Via: r.Via}, []string{"a", "b"}))
	require.Equal(t, `{"max_depth":1,"min_references":2,"min_subscribers":0,"via":["forward","mention"]}`, r.JSON())
}

func TestReferencesAndVerdicts(t *testing.T) {
	rules := Rules{MaxDepth: 2, MinReferences: 3, MinSubscribers: 100, Via: AllRules}
	var refs []state.Ref
	refs = AddRef(refs, 10, RuleForward, 2, 1)
	refs = AddRef(refs, 10, RuleForward, 2, 1)
	require.Equal(t, Verdict{Depth: 2, Reason: "references 2 < 3"}, rules.ByReferences(refs))
	refs = AddRef(refs, 11, RuleMention, 1, 1)
	require.Len(t, refs, 2)
	require.Equal(t, 3, Total(refs))
	require.Equal(t, Verdict{Ready: true, Depth: 1}, rules.ByReferences(refs))

	deep := AddRef(nil, 12, RuleTmeLink, 3, 10)
	require.Equal(t, "depth 3 > 2", rules.ByReferences(deep).Reason)
	require.Equal(t, "no references", rules.ByReferences(nil).Reason)

	merged := MergeRefs(refs, deep)
	require.Equal(t, 13, Total(merged))
	require.EqualValues(t, 1, Depth(merged))

	require.Equal(t, "", rules.BySubscribers(100, true))
	require.Equal(t, "subscribers 99 < 100", rules.BySubscribers(99, true))
	require.Equal(t, "not a broadcast channel", rules.BySubscribers(1000, false))

	require.True(t, rules.Counts(RuleForward))
	require.False(t, Rules{MaxDepth: 0, Via: AllRules}.Counts(RuleForward), "depth 0 counts nothing")
	require.False(t, Rules{MaxDepth: 1, Via: []string{RuleForward}}.Counts(RuleMention))
}
