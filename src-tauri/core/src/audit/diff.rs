//! A small line diff (longest common subsequence) between the suggested and the sent card.

/// Above this many line pairs the diff falls back to "all removed, all added".
const MAX_TABLE_CELLS: usize = 1_000_000;

/// Unified-style lines: `"  same"`, `"- removed"`, `"+ added"`, joined by newlines.
/// Empty when both texts are equal.
pub fn line_diff(before: &str, after: &str) -> String {
    if before == after {
        return String::new();
    }
    let old: Vec<&str> = before.lines().collect();
    let new: Vec<&str> = after.lines().collect();
    let ops = if old.len().saturating_mul(new.len()) > MAX_TABLE_CELLS {
        old.iter()
            .map(|l| ('-', *l))
            .chain(new.iter().map(|l| ('+', *l)))
            .collect()
    } else {
        lcs_ops(&old, &new)
    };
    ops.iter()
        .map(|(tag, line)| match tag {
            ' ' => format!("  {line}"),
            tag => format!("{tag} {line}"),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn lcs_ops<'a>(old: &[&'a str], new: &[&'a str]) -> Vec<(char, &'a str)> {
    let (n, m) = (old.len(), new.len());
    // common[i][j] = LCS length of old[i..] and new[j..]
    let mut common = vec![vec![0usize; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            common[i][j] = if old[i] == new[j] {
                common[i + 1][j + 1] + 1
            } else {
                common[i + 1][j].max(common[i][j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    let mut ops = Vec::with_capacity(n + m);
    while i < n || j < m {
        if i < n && j < m && old[i] == new[j] {
            ops.push((' ', old[i]));
            i += 1;
            j += 1;
        } else if i < n && (j == m || common[i + 1][j] >= common[i][j + 1]) {
            ops.push(('-', old[i]));
            i += 1;
        } else {
            ops.push(('+', new[j]));
            j += 1;
        }
    }
    ops
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_texts_have_no_diff() {
        assert_eq!(line_diff("a\nb", "a\nb"), "");
    }

    #[test]
    fn changed_line_is_removed_then_added() {
        assert_eq!(
            line_diff("title\nold\nend", "title\nnew\nend"),
            "  title\n- old\n+ new\n  end"
        );
    }

    #[test]
    fn appended_and_deleted_lines() {
        assert_eq!(line_diff("a", "a\nb"), "  a\n+ b");
        assert_eq!(line_diff("a\nb", "b"), "- a\n  b");
    }
}
