//! The 95% Wilson score interval of a share, drawn around every share of the report's
//! charts so that a share of few domains shows how little it pins down.

/// The two-sided 95% quantile of the standard normal distribution.
const Z: f64 = 1.959964;

/// The 95% Wilson score interval of `count` out of `of`, as fractions in [0, 1];
/// `None` for an empty population, which has no share to bound.
///
/// Wilson, E. B. (1927), "Probable inference, the law of succession, and statistical
/// inference", JASA 22(158), 209–212; method 3 of Newcombe, R. G. (1998), "Two-sided
/// confidence intervals for the single proportion: comparison of seven methods",
/// Statistics in Medicine 17(8), 857–872. Centre (k + z²/2) / (n + z²), half-width
/// z·√(k(n−k)/n + z²/4) / (n + z²). Unlike the normal approximation it stays inside
/// [0, 1] and is not empty at 0 of n or n of n, where small groups often sit.
pub(super) fn interval(count: u64, of: u64) -> Option<(f64, f64)> {
    if of == 0 {
        return None;
    }
    let (k, n) = (count.min(of) as f64, of as f64);
    let z2 = Z * Z;
    let centre = (k + z2 / 2.0) / (n + z2);
    let half = Z * (k * (n - k) / n + z2 / 4.0).sqrt() / (n + z2);
    // At 0 of n and n of n one end is exactly 0 or 1 (the square root is z/2), which
    // rounding may miss on either side.
    let low = if count == 0 { 0.0 } else { centre - half };
    let high = if count >= of { 1.0 } else { centre + half };
    Some((low, high))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_intervals() {
        // References in percent from the textbook form (p̂ + z²/2n ± z·√(p̂(1−p̂)/n +
        // z²/4n²)) / (1 + z²/n) with z = Φ⁻¹(0.975), the form statsmodels'
        // proportion_confint(method="wilson") uses, computed apart from this code.
        let cases = [
            (0, 10, 0.0, 27.7532799863),
            (5, 10, 23.6593090513, 76.3406909487),
            (10, 10, 72.2467200137, 100.0),
            (81, 263, 25.5288519878, 36.6209576983),
            (1, 1, 20.6549314377, 100.0),
            (0, 1, 0.0, 79.3450685623),
            (1, 2, 9.4531205734, 90.5468794266),
            (3, 7, 15.8219855251, 74.9541635472),
            (119, 119, 96.8728319758, 100.0),
        ];
        for (count, of, low, high) in cases {
            let (l, h) = interval(count, of).unwrap();
            // The references use z to 16 digits, the code to 7: 1e-6 percent apart.
            assert!((100.0 * l - low).abs() < 1e-5, "{count}/{of}: low {l}");
            assert!((100.0 * h - high).abs() < 1e-5, "{count}/{of}: high {h}");
        }
    }

    #[test]
    fn empty_population_has_no_interval() {
        assert_eq!(interval(0, 0), None);
    }

    #[test]
    fn ends_stay_inside_and_around_the_share() {
        for of in 1..=300 {
            for count in 0..=of {
                let (low, high) = interval(count, of).unwrap();
                let share = count as f64 / of as f64;
                assert!(
                    0.0 <= low && low <= share && share <= high && high <= 1.0,
                    "{count}/{of}: {low}..{high}"
                );
            }
        }
    }
}
