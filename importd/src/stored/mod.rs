//! What is stored, after the imports: answering data-subject requests over the committed
//! outputs and the raw copies the daemon keeps.

pub mod subject;
