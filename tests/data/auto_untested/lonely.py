"""`total` is called by no test; `double` is. Also a generator and an async function, which
the automatic target does not support yet."""


def total(values):
    return sum(values)


def double(x):
    return 2 * x


def squares(n):
    for i in range(n):
        yield i * i


async def fetch():
    return 1
