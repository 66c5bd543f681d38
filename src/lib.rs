/*!
captar: a tar-compatible archiver that keeps Linux file capabilities (`security.capability`).
*/

pub mod argmatch;
pub mod audit;
pub mod caps;
pub mod checkpoint;
pub mod cli;
pub mod copy;
pub mod create;
pub mod delete;
pub mod error;
pub mod extract;
pub mod fds;
pub mod format;
pub mod json;
pub mod list;
pub mod owners;
pub mod progress;
pub mod select;
pub mod temps;
pub mod transform;
pub mod verify;
pub mod xattr;
