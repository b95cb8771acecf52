//! The groups of kernel events a user asks for (`--kernel sched,irq,syscalls`).

use super::error::Error;
use std::fmt;

/// One group of kernel events.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Category {
    /// Scheduling and process life: switches, wake-ups, fork, exec, exit, free.
    Sched,
    /// Hardware interrupt handlers and soft interrupts.
    Irq,
    /// Every system call's entry and exit.
    Syscalls,
}

impl Category {
    pub const ALL: [Category; 3] = [Category::Sched, Category::Irq, Category::Syscalls];

    pub fn name(self) -> &'static str {
        match self {
            Category::Sched => "sched",
            Category::Irq => "irq",
            Category::Syscalls => "syscalls",
        }
    }

    /// Parses one name.
    pub fn parse(s: &str) -> Result<Category, Error> {
        Category::ALL
            .into_iter()
            .find(|c| c.name() == s)
            .ok_or_else(|| {
                Error::Usage(format!(
                    "unknown kernel event category {s:?}: expected {}",
                    Category::ALL.map(Category::name).join(", ")
                ))
            })
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A set of categories, in a fixed order, without repeats.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Categories(Vec<Category>);

impl Categories {
    pub fn new(list: impl IntoIterator<Item = Category>) -> Categories {
        let mut v: Vec<Category> = list.into_iter().collect();
        v.sort();
        v.dedup();
        Categories(v)
    }

    /// Parses "sched,irq" (commas, no blanks).
    pub fn parse(s: &str) -> Result<Categories, Error> {
        let list = s
            .split(',')
            .map(Category::parse)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Categories::new(list))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = Category> + '_ {
        self.0.iter().copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_parse_in_order_without_repeats() {
        let c = Categories::parse("syscalls,sched,syscalls").unwrap();
        assert_eq!(
            c.iter().collect::<Vec<_>>(),
            [Category::Sched, Category::Syscalls]
        );
    }

    #[test]
    fn unknown_names_are_named_in_the_error() {
        let e = Categories::parse("sched,net").unwrap_err().to_string();
        assert_eq!(
            e,
            "unknown kernel event category \"net\": expected sched, irq, syscalls"
        );
        assert!(Categories::parse("").is_err());
    }
}
