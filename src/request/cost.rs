//! What a field may cost, for async-graphql's complexity count. A page or
//! list field costs its largest possible length times the cost of one item,
//! so pages nested in pages multiply, and a request's cost follows what it
//! can return rather than how it is spelled.

/// The ceiling of one field's cost: far above any budget, and small enough
/// that summing the fields of a document cannot overflow.
const CEILING: usize = 1 << 32;

/// How many items a page of `first` returns: `default` when left out,
/// clamped to 1..=`max` as the resolvers clamp it.
pub fn page_size<N: TryInto<usize>>(first: Option<N>, default: usize, max: usize) -> usize {
    first
        .map_or(Some(default), |n| n.try_into().ok())
        .unwrap_or(1)
        .clamp(1, max)
}

/// A page's cost: its size times the cost of one item (`child_complexity`).
pub fn paged<N: TryInto<usize>>(
    first: Option<N>,
    default: usize,
    max: usize,
    child_complexity: usize,
) -> usize {
    listed(page_size(first, default, max), child_complexity)
}

/// A list's cost: at most `len` items, each costing `child_complexity`.
pub fn listed(len: usize, child_complexity: usize) -> usize {
    len.saturating_mul(child_complexity.max(1))
        .saturating_add(1)
        .min(CEILING)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_follow_what_the_resolver_returns() {
        assert_eq!(page_size(None::<i32>, 20, 50), 20);
        assert_eq!(page_size(Some(1000), 20, 50), 50);
        assert_eq!(page_size(Some(-5), 20, 50), 1);
        assert_eq!(paged(Some(50), 20, 50, 3), 151);
    }

    #[test]
    fn nested_pages_multiply_without_overflow() {
        let mut cost = 1;
        for _ in 0..20 {
            cost = paged(Some(50), 20, 50, cost);
        }
        assert_eq!(cost, CEILING);
    }
}
