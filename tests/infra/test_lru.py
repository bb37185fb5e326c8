from infra.lru import Lru


def test_the_least_recently_used_entry_goes_first():
    kept: Lru[str, int] = Lru(2)
    kept.put("a", 1)
    kept.put("b", 2)
    assert kept.get("a") == 1  # "b" is now the least recently used
    kept.put("c", 3)

    assert kept.get("b") is None
    assert (kept.get("a"), kept.get("c"), len(kept)) == (1, 3, 2)


def test_an_entry_put_again_is_replaced_and_popped_entries_are_gone():
    kept: Lru[str, int] = Lru(3)
    kept.put("a", 1)
    kept.put("a", 2)
    kept.put("b", 3)
    kept.pop("b")
    kept.pop("never there")

    assert (kept.get("a"), kept.get("b"), len(kept)) == (2, None, 1)
    kept.clear()
    assert len(kept) == 0
