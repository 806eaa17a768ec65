"""The files of documents, and a cold build's rendering cut into shares: each file
rendered once, in one share, with the bytes the daemon would render."""

from __future__ import annotations

from feeds import workers
from feeds.build import Builder
from feeds.config import Config
from feeds.files import (
    document_files,
    document_paths,
    document_piece,
    render_and_put,
    subscription_paths,
)
from feeds.layout import documents, feed_specs
from feeds.publish import Publisher
from feeds.writer import Writer

from .conftest import BASE_URL


def test_a_documents_paths_are_known_before_it_is_rendered(config: Config) -> None:
    catalog = Builder(config).build().catalog
    assert catalog is not None
    small = Config(seeds=config.seeds, public=config.public, base_url=BASE_URL, feed_size=2)
    writer = Writer(small)
    for spec in feed_specs(catalog, "Site")[:5]:
        for doc in documents(spec, small.feed_size):
            assert document_paths(doc) == tuple(document_files(doc, writer))
            feeds = subscription_paths(doc)
            assert feeds == (() if doc.is_archive else document_paths(doc)[:3])


def test_shares_render_every_file_once_with_the_same_bytes(config: Config) -> None:
    catalog = Builder(config).build().catalog
    assert catalog is not None
    small = Config(seeds=config.seeds, public=config.public, base_url=BASE_URL, feed_size=2)
    writer = Writer(small)
    docs = [doc for spec in feed_specs(catalog, "Site") for doc in documents(spec, 2)]
    expected = {path: data for doc in docs for path, data in document_files(doc, writer).items()}
    shares = workers.split_by_time([document_piece(doc, writer) for doc in docs], 3)
    assert len(shares) == 3
    publisher = Publisher(config.public / "shared")
    batch = publisher.begin(expected)
    puts = workers.map_shares(lambda share: render_and_put(batch, share), shares)
    publisher.commit(batch, puts)
    assert sorted(put.path for share in puts for put in share.done) == sorted(expected)
    assert {p: (config.public / "shared" / p).read_bytes() for p in expected} == expected
