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

    /// Lines [start, end) of a profile's section, trailing blank and comment lines excluded.
    fn span(&self, profile: &str) -> Option<(usize, usize)> {
        let start = self
            .lines
            .iter()
            .position(|l| Self::section_name(l).as_deref() == Some(profile))?;
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

    /// The section's top-level `key = value` pairs.
    pub fn keys(&self, profile: &str) -> Option<Vec<(String, String)>> {
        let (start, end) = self.span(profile)?;
        Some(
            self.lines[start + 1..end]
                .iter()
                .filter(|l| !l.starts_with(char::is_whitespace))
                .filter_map(|l| {
                    let (k, v) = l.split_once('=')?;
                    let k = k.trim();
                    (!k.is_empty() && !k.starts_with('#') && !k.starts_with(';'))
                        .then(|| (k.to_string(), v.trim().to_string()))
                })
                .collect(),
        )
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

    pub fn replace(&mut self, profile: &str, keys: &[(String, String)]) {
        if let Some((start, end)) = self.span(profile) {
            let stanza = self.stanza(profile, keys);
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
