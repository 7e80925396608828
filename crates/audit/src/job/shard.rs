//! `--shard INDEX/COUNT`: which sites of the config one worker of an array job audits.
//!
//! A site belongs to shard `h mod COUNT`, where `h` is the first 8 bytes, big-endian, of the
//! SHA-256 of its site id (UTF-8; the id the history uses: the registrable domain, or the `id`
//! of its `[[site]]`). SHA-256 because it is the same in every language and every release, so
//! anyone can say which worker audits a site (`printf %s barnet.gov.uk | sha256sum`); because it
//! hashes the id, not the site's position in the file, adding a site to the config moves no other
//! site to another shard (a worker retried after such an edit still finds its sites complete).

use std::fmt;
use std::str::FromStr;

use sha2::{Digest, Sha256};

/// One worker's share of the sites: shard `index` of `count` (0-based).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Shard {
    index: u32,
    count: u32,
}

/// Why `--shard` was not understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShardError {
    /// Not `INDEX/COUNT`.
    #[error("`{given}` is not INDEX/COUNT (e.g. 0/3: the first of three shards)")]
    Shape {
        /// What was given.
        given: String,
    },
    /// A part is not a whole number.
    #[error("`{given}`: {part} is not a whole number")]
    Number {
        /// What was given.
        given: String,
        /// The part that is not a number.
        part: String,
    },
    /// COUNT is 0.
    #[error("`{given}`: the number of shards must be at least 1")]
    NoShards {
        /// What was given.
        given: String,
    },
    /// INDEX is not below COUNT (shards are numbered from 0).
    #[error("`{given}`: shards are numbered from 0, so INDEX must be below {count}")]
    OutOfRange {
        /// What was given.
        given: String,
        /// The number of shards.
        count: u32,
    },
}

impl Shard {
    /// Shard `index` of `count`.
    pub fn new(index: u32, count: u32) -> Result<Shard, ShardError> {
        Shard::parse(&format!("{index}/{count}"))
    }

    /// `INDEX/COUNT`, 0-based: `0/3`, `1/3`, `2/3`.
    pub fn parse(given: &str) -> Result<Shard, ShardError> {
        let (index, count) = given.split_once('/').ok_or_else(|| ShardError::Shape {
            given: given.to_string(),
        })?;
        let number = |part: &str| {
            part.trim().parse::<u32>().map_err(|_| ShardError::Number {
                given: given.to_string(),
                part: format!("`{part}`"),
            })
        };
        let (index, count) = (number(index)?, number(count)?);
        if count == 0 {
            return Err(ShardError::NoShards {
                given: given.to_string(),
            });
        }
        if index >= count {
            return Err(ShardError::OutOfRange {
                given: given.to_string(),
                count,
            });
        }
        Ok(Shard { index, count })
    }

    /// This shard's number, from 0.
    pub fn index(self) -> u32 {
        self.index
    }

    /// How many shards there are.
    pub fn count(self) -> u32 {
        self.count
    }

    /// Whether this shard audits the site with this id.
    pub fn contains(self, site_id: &str) -> bool {
        shard_of(site_id, self.count) == self.index
    }
}

/// The shard of `site_id` among `count` (at least 1): see the module's documentation.
pub fn shard_of(site_id: &str, count: u32) -> u32 {
    let digest = Sha256::digest(site_id.as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    (u64::from_be_bytes(first) % u64::from(count.max(1))) as u32
}

impl FromStr for Shard {
    type Err = ShardError;

    fn from_str(s: &str) -> Result<Shard, ShardError> {
        Shard::parse(s)
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shard_specs_are_index_over_count_from_zero() {
        let shard = Shard::parse("2/3").unwrap();
        assert_eq!(
            (shard.index(), shard.count(), shard.to_string()),
            (2, 3, "2/3".into())
        );
        assert_eq!(Shard::parse("0/1").unwrap().to_string(), "0/1");
        for (bad, says) in [
            ("3/3", "INDEX must be below 3"),
            ("x/2", "`x` is not a whole number"),
            ("1/x", "`x` is not a whole number"),
            ("-1/2", "`-1` is not a whole number"),
            ("0/0", "at least 1"),
            ("2", "not INDEX/COUNT"),
            ("", "not INDEX/COUNT"),
        ] {
            let error = Shard::parse(bad).unwrap_err().to_string();
            assert!(error.contains(says), "{bad}: {error}");
        }
    }

    /// The documented hash, computed independently: the first 8 bytes of SHA-256("barnet.gov.uk")
    /// are 0xa41f1885d487b8db (`printf %s barnet.gov.uk | sha256sum`).
    #[test]
    fn a_site_goes_where_the_documented_hash_says() {
        let h: u64 = 0xa41f_1885_d487_b8db;
        for count in [1, 2, 3, 7, 100] {
            assert_eq!(
                u64::from(shard_of("barnet.gov.uk", count)),
                h % u64::from(count)
            );
        }
    }

    #[test]
    fn every_site_is_in_exactly_one_shard_and_shards_are_even() {
        let sites: Vec<String> = (0..3000).map(|n| format!("site{n}.gov.uk")).collect();
        let shards: Vec<Shard> = (0..3).map(|i| Shard::new(i, 3).unwrap()).collect();
        let mut sizes = [0usize; 3];
        for site in &sites {
            let owners: Vec<&Shard> = shards.iter().filter(|s| s.contains(site)).collect();
            assert_eq!(owners.len(), 1, "{site}");
            sizes[owners[0].index() as usize] += 1;
        }
        // 1,000 expected each; a fair hash stays well within ±10%.
        assert!(
            sizes.iter().all(|&n| (900..=1100).contains(&n)),
            "{sizes:?}"
        );
    }
}
