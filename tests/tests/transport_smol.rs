//! Streams over transports on smol: every test is `smol::<name>`.

mod smol {
    streams_suite::transport_suite!(streams_suite::SmolAdapter);

    #[test]
    fn user_async_net_tcp_stream() {
        use streams_suite::Adapter;
        streams_suite::SmolAdapter::block_on(streams_suite::transport::user_async_net_tcp_stream());
    }
}
