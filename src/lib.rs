/*!
captar: a tar-compatible archiver that keeps Linux file capabilities (`security.capability`).
*/

pub mod caps;
pub mod cli;
pub mod error;
pub mod format;
pub mod xattr;
