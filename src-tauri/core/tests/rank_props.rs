//! Property tests of the hybrid ranking invariants (pure functions, no model).

use assist_core::rank::{fuse, Candidate, FusionWeights};
use proptest::prelude::*;

fn candidate() -> impl Strategy<Value = (Option<f32>, Option<f32>, f32)> {
    (
        proptest::option::of(-1.0f32..=1.0),
        proptest::option::of(0.0f32..50.0),
        prop_oneof![Just(0.0f32), 0.0f32..=1.0],
    )
}

fn candidates() -> impl Strategy<Value = Vec<Candidate>> {
    proptest::collection::vec(candidate(), 1..30).prop_map(|legs| {
        legs.into_iter()
            .enumerate()
            .map(|(i, (dense, bm25, exact))| Candidate {
                article_id: format!("KB-{i:03}"),
                dense,
                bm25,
                exact,
            })
            .collect()
    })
}

fn weights() -> impl Strategy<Value = FusionWeights> {
    (0.0f32..=1.0, 0.0f32..=1.0, 0.0f32..=1.0).prop_map(|(dense, bm25, exact)| FusionWeights {
        dense,
        bm25,
        exact,
    })
}

proptest! {
    #[test]
    fn sorted_descending_with_id_tie_break(cands in candidates(), w in weights()) {
        let ranked = fuse(&cands, &w);
        prop_assert_eq!(ranked.len(), cands.len());
        for pair in ranked.windows(2) {
            let (a, b) = (&pair[0], &pair[1]);
            prop_assert!(a.scores.fused > b.scores.fused
                || (a.scores.fused == b.scores.fused && a.article_id < b.article_id));
        }
    }

    #[test]
    fn deterministic_regardless_of_input_order(cands in candidates(), w in weights()) {
        let mut reversed = cands.clone();
        reversed.reverse();
        prop_assert_eq!(fuse(&cands, &w), fuse(&reversed, &w));
    }

    #[test]
    fn scores_within_bounds(cands in candidates(), w in weights()) {
        for r in fuse(&cands, &w) {
            let s = r.scores;
            prop_assert!((-1.0..=1.0).contains(&s.dense));
            prop_assert!((0.0..=1.0).contains(&s.bm25_norm));
            prop_assert!((0.0..=1.0).contains(&s.exact));
            prop_assert!(s.fused >= 0.0 && s.fused <= w.dense + w.bm25 + w.exact + 1e-5);
        }
    }

    #[test]
    fn found_by_both_never_ranks_below_found_by_one(cands in candidates(), w in weights(), pick in any::<prop::sample::Index>(), drop_dense in any::<bool>()) {
        let target = pick.index(cands.len());
        let mut both = cands.clone();
        both[target].dense.get_or_insert(0.5);
        both[target].bm25.get_or_insert(1.0);
        let mut one = both.clone();
        if drop_dense { one[target].dense = None } else { one[target].bm25 = None }
        let position = |list: &[Candidate]| fuse(list, &w).iter().position(|r| r.article_id == both[target].article_id).unwrap();
        prop_assert!(position(&both) <= position(&one));
    }

    #[test]
    fn zero_weights_leave_only_the_other_legs(cands in candidates()) {
        let none = fuse(&cands, &FusionWeights { dense: 0.0, bm25: 0.0, exact: 0.0 });
        prop_assert!(none.iter().all(|r| r.scores.fused == 0.0));
        let ids: Vec<&str> = none.iter().map(|r| r.article_id.as_str()).collect();
        let mut sorted = ids.clone();
        sorted.sort();
        prop_assert_eq!(ids, sorted);
        let dense_only = fuse(&cands, &FusionWeights { dense: 1.0, bm25: 0.0, exact: 0.0 });
        for r in dense_only {
            prop_assert_eq!(r.scores.fused, r.scores.dense.max(0.0));
        }
    }
}
