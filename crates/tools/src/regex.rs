//! A small regular-expression matcher for the `-r` flag of funccount,
//! funclatency and stackcount: literals, `.`, classes (`[a-z_]`, `[^0-9]`,
//! `\d \w \s`), anchors `^ $`, groups with alternation `(a|b)`, and the
//! greedy quantifiers `* + ?`. Like BCC (Python's `re.match`), a pattern
//! matches at the start of the name.

#[derive(Debug)]
enum Node {
    Char(char),
    Any,
    /// Ranges, negated.
    Class(Vec<(char, char)>, bool),
    Start,
    End,
    Group(Vec<Vec<Node>>),
    Repeat(Box<Node>, usize, usize),
}

/// A compiled pattern.
#[derive(Debug)]
pub struct Regex(Vec<Vec<Node>>);

fn escape_class(c: char) -> Option<(Vec<(char, char)>, bool)> {
    let digits = vec![('0', '9')];
    let word = vec![('a', 'z'), ('A', 'Z'), ('0', '9'), ('_', '_')];
    let space = vec![(' ', ' '), ('\t', '\r')];
    Some(match c {
        'd' => (digits, false),
        'D' => (digits, true),
        'w' => (word, false),
        'W' => (word, true),
        's' => (space, false),
        'S' => (space, true),
        _ => return None,
    })
}

struct Parser<'a> {
    s: &'a [char],
    i: usize,
}

impl Parser<'_> {
    fn alternatives(&mut self) -> Result<Vec<Vec<Node>>, String> {
        let mut alts = vec![Vec::new()];
        while let Some(&c) = self.s.get(self.i) {
            self.i += 1;
            let node = match c {
                '|' => {
                    alts.push(Vec::new());
                    continue;
                }
                ')' => {
                    self.i -= 1;
                    break;
                }
                '(' => {
                    let inner = self.alternatives()?;
                    if self.s.get(self.i) != Some(&')') {
                        return Err("unbalanced '('".into());
                    }
                    self.i += 1;
                    Node::Group(inner)
                }
                '*' | '+' | '?' => {
                    let last = alts.last_mut().unwrap();
                    let Some(prev) = last.pop() else {
                        return Err(format!("nothing to repeat before '{c}'"));
                    };
                    let (lo, hi) = match c {
                        '*' => (0, usize::MAX),
                        '+' => (1, usize::MAX),
                        _ => (0, 1),
                    };
                    Node::Repeat(Box::new(prev), lo, hi)
                }
                '.' => Node::Any,
                '^' => Node::Start,
                '$' => Node::End,
                '[' => self.class()?,
                '\\' => {
                    let e = *self.s.get(self.i).ok_or("trailing '\\'")?;
                    self.i += 1;
                    match escape_class(e) {
                        Some((r, neg)) => Node::Class(r, neg),
                        None => Node::Char(e),
                    }
                }
                c => Node::Char(c),
            };
            alts.last_mut().unwrap().push(node);
        }
        Ok(alts)
    }

    fn class(&mut self) -> Result<Node, String> {
        let neg = self.s.get(self.i) == Some(&'^');
        self.i += neg as usize;
        let mut ranges = Vec::new();
        let mut first = true;
        loop {
            let c = *self.s.get(self.i).ok_or("unbalanced '['")?;
            self.i += 1;
            if c == ']' && !first {
                return Ok(Node::Class(ranges, neg));
            }
            first = false;
            let lo = if c == '\\' {
                let e = *self.s.get(self.i).ok_or("trailing '\\'")?;
                self.i += 1;
                if let Some((r, _)) = escape_class(e) {
                    ranges.extend(r);
                    continue;
                }
                e
            } else {
                c
            };
            let dash = self.s.get(self.i) == Some(&'-');
            match self.s.get(self.i + 1) {
                Some(&hi) if dash && hi != ']' => {
                    self.i += 2;
                    ranges.push((lo, hi));
                }
                _ => ranges.push((lo, lo)),
            }
        }
    }
}

impl Regex {
    pub fn new(pattern: &str) -> Result<Regex, String> {
        let chars: Vec<char> = pattern.chars().collect();
        let mut p = Parser { s: &chars, i: 0 };
        let alts = p
            .alternatives()
            .and_then(|a| match p.i < chars.len() {
                true => Err("unbalanced ')'".to_string()),
                false => Ok(a),
            })
            .map_err(|e| format!("bad regular expression '{pattern}': {e}"))?;
        Ok(Regex(alts))
    }

    /// Whether the pattern matches at the start of `text`.
    pub fn is_match(&self, text: &str) -> bool {
        let s: Vec<char> = text.chars().collect();
        let m = Matcher { s: &s };
        self.0.iter().any(|alt| m.seq(alt, 0, &mut |_| true))
    }
}

struct Matcher<'a> {
    s: &'a [char],
}

type Cont<'k> = &'k mut dyn FnMut(usize) -> bool;

impl Matcher<'_> {
    fn seq(&self, nodes: &[Node], pos: usize, k: Cont) -> bool {
        let Some((first, rest)) = nodes.split_first() else {
            return k(pos);
        };
        match first {
            Node::Repeat(n, lo, hi) => self.repeat(n, *lo, *hi, pos, rest, k),
            Node::Group(alts) => alts
                .iter()
                .any(|alt| self.seq(alt, pos, &mut |p| self.seq(rest, p, k))),
            Node::Start => pos == 0 && self.seq(rest, pos, k),
            Node::End => pos == self.s.len() && self.seq(rest, pos, k),
            atom => self.s.get(pos).is_some_and(|&c| single(atom, c)) && self.seq(rest, pos + 1, k),
        }
    }

    /// Greedy: as many repetitions as match, then fewer.
    fn repeat(&self, n: &Node, lo: usize, hi: usize, pos: usize, rest: &[Node], k: Cont) -> bool {
        let more = hi > 0
            && self.seq(std::slice::from_ref(n), pos, &mut |p| {
                p != pos && self.repeat(n, lo.saturating_sub(1), hi.saturating_sub(1), p, rest, k)
            });
        more || (lo == 0 && self.seq(rest, pos, k))
    }
}

fn single(atom: &Node, c: char) -> bool {
    match atom {
        Node::Char(x) => *x == c,
        Node::Any => c != '\n',
        Node::Class(ranges, neg) => ranges.iter().any(|(a, b)| (*a..=*b).contains(&c)) != *neg,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::Regex;

    #[test]
    fn matches_at_the_start() {
        let r = |p: &str, s: &str| Regex::new(p).unwrap().is_match(s);
        assert!(r("^vfs_.*", "vfs_read"));
        assert!(r("vfs_", "vfs_read"));
        assert!(!r("read", "vfs_read"));
        assert!(r(".*read$", "vfs_read"));
        assert!(!r("^vfs_r$", "vfs_read"));
        assert!(r("vfs_(read|write)$", "vfs_write"));
        assert!(r("[a-c]+_[^0-9]\\w*", "abc_x1"));
        assert!(!r("[a-c]+_[^0-9]", "abc_1"));
        assert!(r("a?b+c*$", "bbb"));
        assert!(r("x\\.y", "x.y") && !r("x\\.y", "xzy"));
        assert!(Regex::new("(ab").is_err() && Regex::new("*a").is_err());
        assert!(Regex::new("a)").is_err() && Regex::new("[ab").is_err());
    }
}
