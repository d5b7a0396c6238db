//! Streams over transports on async-std: every test is `async_std::<name>`.

mod async_std {
    streams_suite::transport_suite!(streams_suite::AsyncStdAdapter);

    #[test]
    fn user_async_std_tcp_stream() {
        use streams_suite::Adapter;
        streams_suite::AsyncStdAdapter::block_on(
            streams_suite::transport::user_async_std_tcp_stream(),
        );
    }
}
