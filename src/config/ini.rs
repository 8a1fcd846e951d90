//! The INI editor for the user's config file: sections found by their headers, every other
//! line (comments, blank lines, other sections, sub-properties) kept byte for byte. It never
//! decides *what* to write (`setup` does), never parses values beyond a section's top-level
//! `key = value`, and never touches the disk.

/// `[default]` or `[profile NAME]`: how a profile's section header is written in the config file.
pub fn header(profile: &str) -> String {
    if profile == "default" {
        "default".into()
    } else {
        format!("profile {profile}")
    }
}

/// The config file as lines, edited in place: sections found by their headers, everything else
/// (comments, blank lines, other sections, sub-properties) kept byte for byte.
pub struct ConfigText {
    /// Split at each `\n` only, so a CRLF file's lines keep their `\r`.
    lines: Vec<String>,
    /// What new lines end with: `\r` when the file's first line does (a CRLF file).
    cr: &'static str,
}

impl ConfigText {
    pub fn new(text: &str) -> Self {
        let body = text.strip_suffix('\n').unwrap_or(text);
        ConfigText {
            lines: match body {
                "" => Vec::new(),
                b => b.split('\n').map(str::to_string).collect(),
            },
            cr: if text.split('\n').next().is_some_and(|l| l.ends_with('\r')) {
                "\r"
            } else {
                ""
            },
        }
    }

    pub fn text(&self) -> String {
        let mut t = self.lines.join("\n");
        t.push('\n');
        t
    }

    fn section_name(line: &str) -> Option<String> {
        let l = line.trim();
        let inner = l.strip_prefix('[')?.split(']').next()?.trim();
        let name = inner
            .strip_prefix("profile")
            .filter(|rest| rest.starts_with(char::is_whitespace))
            .map(str::trim)
            .unwrap_or(inner);
        Some(name.to_string())
    }

    /// Lines [start, end) of each of a profile's sections, in file order (aws-config merges
    /// them, later keys winning).
    fn spans(&self, profile: &str) -> Vec<(usize, usize)> {
        let starts = self.lines.iter().enumerate();
        starts
            .filter(|(_, l)| Self::section_name(l).as_deref() == Some(profile))
            .filter_map(|(i, _)| self.span_at(i))
            .collect()
    }

    /// Lines [start, end) of the section at `start`, trailing blank and comment lines excluded.
    fn span_at(&self, start: usize) -> Option<(usize, usize)> {
        let mut end = self.lines[start + 1..]
            .iter()
            .position(|l| Self::section_name(l).is_some())
            .map_or(self.lines.len(), |i| start + 1 + i);
        while end > start + 1 && {
            let t = self.lines[end - 1].trim();
            t.is_empty() || t.starts_with('#') || t.starts_with(';')
        } {
            end -= 1;
        }
        Some((start, end))
    }

    /// The profile's top-level `key = value` pairs over all its sections, a later value
    /// replacing an earlier one as aws-config merges them.
    pub fn keys(&self, profile: &str) -> Option<Vec<(String, String)>> {
        let spans = self.spans(profile);
        if spans.is_empty() {
            return None;
        }
        let mut keys: Vec<(String, String)> = Vec::new();
        for (start, end) in spans {
            for l in &self.lines[start + 1..end] {
                let Some((k, v)) = l
                    .split_once('=')
                    .filter(|_| !l.starts_with(char::is_whitespace))
                else {
                    continue;
                };
                let k = k.trim();
                if k.is_empty() || k.starts_with('#') || k.starts_with(';') {
                    continue;
                }
                match keys.iter_mut().find(|(have, _)| have == k) {
                    Some(kv) => kv.1 = v.trim().to_string(),
                    None => keys.push((k.to_string(), v.trim().to_string())),
                }
            }
        }
        Some(keys)
    }

    fn stanza(&self, profile: &str, keys: &[(String, String)]) -> Vec<String> {
        let cr = self.cr;
        let mut v = vec![format!("[{}]{cr}", header(profile))];
        v.extend(keys.iter().map(|(k, val)| format!("{k} = {val}{cr}")));
        v
    }

    /// Adds the section at the end, after a blank line; the file's own lines all stay,
    /// trailing blank ones included.
    pub fn append(&mut self, profile: &str, keys: &[(String, String)]) {
        if self.lines.last().is_some_and(|l| !l.trim().is_empty()) {
            self.lines.push(self.cr.to_string());
        }
        let stanza = self.stanza(profile, keys);
        self.lines.extend(stanza);
    }

    /// The profile's first section becomes the stanza; its later sections go (else their keys
    /// would still be merged into it).
    pub fn replace(&mut self, profile: &str, keys: &[(String, String)]) {
        let spans = self.spans(profile);
        for (i, &(start, end)) in spans.iter().enumerate().rev() {
            let stanza = if i == 0 {
                self.stanza(profile, keys)
            } else {
                Vec::new()
            };
            self.lines.splice(start..end, stanza);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "# my settings\n[default]\nregion = eu-west-1 # home\n\n[profile dev]\nregion = us-east-1\ns3 =\n  addressing_style = path\n\n# the next one is old\n[profile old]\nrole_arn = x\n";

    /// Found by the setup property test (src/fuzzing/props.rs): a CRLF file came back with LF
    /// line ends throughout, and trailing blank lines were dropped.
    #[test]
    fn a_crlf_file_keeps_its_line_ends_and_its_trailing_blank_lines() {
        let mut f = ConfigText::new("[default]\r\nregion = eu-west-1\r\n\r\n\r\n");
        f.append("new", &[("a".into(), "1".into())]);
        assert_eq!(
            f.text(),
            "[default]\r\nregion = eu-west-1\r\n\r\n\r\n[profile new]\r\na = 1\r\n"
        );
        let mut f = ConfigText::new("[default]\nregion = x\n\n\n");
        f.append("new", &[("a".into(), "1".into())]);
        assert_eq!(
            f.text(),
            "[default]\nregion = x\n\n\n[profile new]\na = 1\n"
        );
    }

    /// Found by the setup property: with `[profile prod]` twice, --force replaced the first
    /// section only, and the second's role_arn was still merged into prod.
    #[test]
    fn a_profile_in_two_sections_is_read_merged_and_replaced_whole() {
        let mut f = ConfigText::new(
            "[profile p]\na = 1\nb = 2\n[profile x]\n[ profile  p ]\nb = 3\nc = 4\n",
        );
        let keys =
            [("a", "1"), ("b", "3"), ("c", "4")].map(|(k, v)| (k.to_string(), v.to_string()));
        assert_eq!(f.keys("p").unwrap(), keys);
        f.replace("p", &[("z".into(), "9".into())]);
        assert_eq!(f.text(), "[profile p]\nz = 9\n[profile x]\n");
    }

    #[test]
    fn finds_sections_and_keys_and_keeps_everything_else() {
        let mut f = ConfigText::new(FILE);
        assert_eq!(
            f.keys("dev").unwrap(),
            vec![
                ("region".to_string(), "us-east-1".to_string()),
                ("s3".to_string(), String::new())
            ]
        );
        assert!(f.keys("nope").is_none());
        f.append("new", &[("a".into(), "1".into())]);
        assert!(f.text().starts_with(FILE.trim_end()));
        assert!(f.text().ends_with("\n\n[profile new]\na = 1\n"));
        f.replace("old", &[("role_arn".into(), "y".into())]);
        assert!(
            f.text()
                .contains("# the next one is old\n[profile old]\nrole_arn = y\n")
        );
        f.replace("dev", &[("region".into(), "ap-south-1".into())]);
        assert!(
            f.text()
                .contains("[profile dev]\nregion = ap-south-1\n\n# the next one is old"),
            "{}",
            f.text()
        );
    }
}
