//! Streams over transports on Tokio: every test is `tokio::<name>`.

mod tokio {
    streams_suite::transport_suite!(streams_suite::TokioAdapter);

    #[test]
    fn user_tokio_tcp_stream() {
        use streams_suite::Adapter;
        streams_suite::TokioAdapter::block_on(streams_suite::transport::user_tokio_tcp_stream());
    }
}
