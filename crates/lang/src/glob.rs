//! Wildcard matching for probe patterns (`sys_enter_open*`, `vfs_?ead`,
//! `tcp_[rs]*`), with bpftrace's semantics: `*` matches any run of
//! characters (including none), `?` exactly one character, `[abc]` /
//! `[a-z]` / `[!a-z]` / `[^a-z]` one character of (or not of) a class.
//! Everything else matches itself. An unterminated `[` matches a literal `[`.
//!
//! The matcher is iterative: on a mismatch it backtracks only to the most
//! recent `*`, so the cost is at most O(pattern × text), never exponential.

/// Whether `text` matches the wildcard `pattern` as a whole.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0usize, 0usize);
    // Position after the last `*` seen, and the text position it resumes at.
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() {
            match p[pi] {
                '*' => {
                    star = Some((pi + 1, ti));
                    pi += 1;
                    continue;
                }
                '?' => {
                    pi += 1;
                    ti += 1;
                    continue;
                }
                '[' => {
                    if let Some((matched, next)) = match_class(&p, pi, t[ti]) {
                        if matched {
                            pi = next;
                            ti += 1;
                            continue;
                        }
                    } else if t[ti] == '[' {
                        pi += 1;
                        ti += 1;
                        continue;
                    }
                }
                c if c == t[ti] => {
                    pi += 1;
                    ti += 1;
                    continue;
                }
                _ => {}
            }
        }
        // Mismatch: let the last `*` swallow one more character.
        match star {
            Some((sp, st)) => {
                pi = sp;
                ti = st + 1;
                star = Some((sp, st + 1));
            }
            None => return false,
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

/// Whether `pattern` holds any wildcard character.
pub fn has_wildcard(pattern: &str) -> bool {
    pattern.contains(['*', '?', '['])
}

/// Matches `c` against the class starting at `p[start] == '['`. Returns
/// whether it matched and the index after the closing `]`, or `None` when
/// the class is unterminated (then `[` is a literal).
fn match_class(p: &[char], start: usize, c: char) -> Option<(bool, usize)> {
    let mut i = start + 1;
    let negated = matches!(p.get(i), Some('!') | Some('^'));
    if negated {
        i += 1;
    }
    let mut matched = false;
    let mut first = true;
    loop {
        let &ch = p.get(i)?;
        if ch == ']' && !first {
            return Some((matched != negated, i + 1));
        }
        first = false;
        if p.get(i + 1) == Some(&'-') && p.get(i + 2).is_some_and(|&e| e != ']') {
            let end = p[i + 2];
            if ch <= c && c <= end {
                matched = true;
            }
            i += 3;
        } else {
            if ch == c {
                matched = true;
            }
            i += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::glob_match;

    #[test]
    fn basics() {
        assert!(glob_match("*", ""));
        assert!(glob_match("sys_enter_open*", "sys_enter_openat"));
        assert!(glob_match("*open*", "sys_enter_openat2"));
        assert!(!glob_match("*open", "sys_enter_openat"));
        assert!(glob_match("vfs_?ead", "vfs_read"));
        assert!(glob_match("tcp_[rs]*", "tcp_sendmsg"));
        assert!(!glob_match("tcp_[!rs]*", "tcp_sendmsg"));
        assert!(glob_match("[a-c]x", "bx"));
        assert!(glob_match("a[", "a["));
        assert!(glob_match("[]]", "]"));
    }

    #[test]
    fn no_blowup() {
        let text = "a".repeat(2000);
        let pat = "*a".repeat(50) + "b";
        assert!(!glob_match(&pat, &text));
    }
}
